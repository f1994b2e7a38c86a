"use client";

import { useTranslations } from "next-intl";
import { Field, Options, TextField } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import {
  activeFilters,
  AGENT_FILTERS,
  DEFAULT_VIEW,
  SORT_KEYS,
  STATE_FILTERS,
  type AgentFilter,
  type ListView,
  type SortKey,
  type StateFilter,
} from "./list-view";

/**
 * Search, filters and sort of the VM list. Each change applies at once (the list is filtered in
 * the browser) and goes into the URL; on a phone the form folds behind one "Filters" button.
 */
export function VmFilters({
  view,
  onChange,
  hosts,
  tags,
}: {
  view: ListView;
  onChange: (view: ListView) => void;
  /** Each host's id as the value, its name as the label. */
  hosts: { value: string; label: string }[];
  tags: string[];
}) {
  const set = (change: Partial<ListView>) => onChange({ ...view, ...change });
  const orNull = <T extends string>(value: string) => (value === "" ? null : (value as T));
  const t = useTranslations("vmList");
  return (
    <CollapsibleFilters label={t("filters.toggle")} active={activeFilters(view)}>
      <form
        role="search"
        aria-label={t("filters.form")}
        className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-start"
        onSubmit={(event) => event.preventDefault()}
      >
        <TextField
          id="vm-search"
          label={t("filters.search")}
          hint={t("filters.searchHint")}
          type="search"
          value={view.q}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => set({ q: event.target.value })}
        />
        <Field id="vm-filter-state" label={t("filters.state")}>
          <select id="vm-filter-state" className="input mt-1" value={view.state ?? ""} onChange={(e) => set({ state: orNull<StateFilter>(e.target.value) })}>
            <option value="">{t("filters.anyState")}</option>
            <Options choices={STATE_FILTERS.map((value) => ({ value, label: t(`filters.states.${value}`) }))} />
          </select>
        </Field>
        <Field id="vm-filter-host" label={t("filters.host")}>
          <select id="vm-filter-host" className="input mt-1" value={view.host ?? ""} onChange={(e) => set({ host: orNull(e.target.value) })}>
            <option value="">{t("filters.anyHost")}</option>
            <Options choices={view.host && !hosts.some((h) => h.value === view.host) ? [...hosts, view.host] : hosts} />
          </select>
        </Field>
        <Field id="vm-filter-tag" label={t("filters.tag")}>
          <select id="vm-filter-tag" className="input mt-1" value={view.tag ?? ""} onChange={(e) => set({ tag: orNull(e.target.value) })}>
            <option value="">{t("filters.anyTag")}</option>
            <Options choices={view.tag && !tags.includes(view.tag) ? [...tags, view.tag] : tags} />
          </select>
        </Field>
        <Field id="vm-filter-agent" label={t("filters.agent")}>
          <select id="vm-filter-agent" className="input mt-1" value={view.agent ?? ""} onChange={(e) => set({ agent: orNull<AgentFilter>(e.target.value) })}>
            <option value="">{t("filters.anyAgent")}</option>
            <Options choices={AGENT_FILTERS.map((value) => ({ value, label: t(`filters.agents.${value}`) }))} />
          </select>
        </Field>
        <Field id="vm-sort" label={t("filters.sortBy")}>
          <select id="vm-sort" className="input mt-1" value={view.sort} onChange={(e) => set({ sort: e.target.value as SortKey })}>
            <Options choices={SORT_KEYS.map((key) => ({ value: key, label: t(`columns.${key}`) }))} />
          </select>
        </Field>
        <Field id="vm-sort-dir" label={t("filters.order")}>
          <select id="vm-sort-dir" className="input mt-1" value={view.dir} onChange={(e) => set({ dir: e.target.value === "desc" ? "desc" : "asc" })}>
            <option value="asc">{t("filters.ascending")}</option>
            <option value="desc">{t("filters.descending")}</option>
          </select>
        </Field>
        <div className="flex items-end">
          <button
            type="button"
            className="btn btn-secondary mt-1 w-full"
            onClick={() => onChange(DEFAULT_VIEW)}
            disabled={activeFilters(view) === 0 && view.sort === "name" && view.dir === "asc"}
          >
            {t("filters.clear")}
          </button>
        </div>
      </form>
    </CollapsibleFilters>
  );
}

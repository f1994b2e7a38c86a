"use client";

import { Field, Options, TextField } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import { activeFilters, DEFAULT_VIEW, SORT_KEYS, type AgentFilter, type ListView, type SortKey, type StateFilter } from "./list-view";

export const SORT_LABEL: Record<SortKey, string> = {
  name: "Name",
  state: "State",
  host: "Host",
  vcpus: "vCPUs",
  memory: "Memory",
  cpu: "CPU",
  ip: "IP address",
  tags: "Tags",
  agent: "Agent",
};

const STATE_CHOICES: { value: StateFilter; label: string }[] = [
  { value: "running", label: "Running" },
  { value: "paused", label: "Paused or suspended" },
  { value: "shutoff", label: "Shut off" },
  { value: "crashed", label: "Crashed" },
  { value: "other", label: "Other (shutting down, unknown)" },
];

const AGENT_CHOICES: { value: AgentFilter; label: string }[] = [
  { value: "agent", label: "KVM Manager agent connected" },
  { value: "qga", label: "Only qemu-guest-agent connected" },
  { value: "none", label: "No agent connected" },
];

/**
 * Search, filters and sort of the VM list. Each change applies at once (the list is filtered in
 * the browser) and goes into the URL; on a phone the form folds behind one "Filters" button.
 */
export function VmFilters({ view, onChange, hosts, tags }: { view: ListView; onChange: (view: ListView) => void; hosts: string[]; tags: string[] }) {
  const set = (change: Partial<ListView>) => onChange({ ...view, ...change });
  const orNull = <T extends string>(value: string) => (value === "" ? null : (value as T));
  return (
    <CollapsibleFilters label="Filters" active={activeFilters(view)}>
      <form
        role="search"
        aria-label="Filter the VM list"
        className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-start"
        onSubmit={(event) => event.preventDefault()}
      >
        <TextField
          id="vm-search"
          label="Search"
          hint="Part of a name, an IP address or a tag; several words must all match."
          type="search"
          value={view.q}
          autoComplete="off"
          spellCheck={false}
          onChange={(event) => set({ q: event.target.value })}
        />
        <Field id="vm-filter-state" label="State">
          <select id="vm-filter-state" className="input mt-1" value={view.state ?? ""} onChange={(e) => set({ state: orNull<StateFilter>(e.target.value) })}>
            <option value="">Any state</option>
            <Options choices={STATE_CHOICES} />
          </select>
        </Field>
        <Field id="vm-filter-host" label="Host">
          <select id="vm-filter-host" className="input mt-1" value={view.host ?? ""} onChange={(e) => set({ host: orNull(e.target.value) })}>
            <option value="">Any host</option>
            <Options choices={view.host && !hosts.includes(view.host) ? [...hosts, view.host] : hosts} />
          </select>
        </Field>
        <Field id="vm-filter-tag" label="Tag">
          <select id="vm-filter-tag" className="input mt-1" value={view.tag ?? ""} onChange={(e) => set({ tag: orNull(e.target.value) })}>
            <option value="">Any or no tag</option>
            <Options choices={view.tag && !tags.includes(view.tag) ? [...tags, view.tag] : tags} />
          </select>
        </Field>
        <Field id="vm-filter-agent" label="Guest agent">
          <select id="vm-filter-agent" className="input mt-1" value={view.agent ?? ""} onChange={(e) => set({ agent: orNull<AgentFilter>(e.target.value) })}>
            <option value="">Any</option>
            <Options choices={AGENT_CHOICES} />
          </select>
        </Field>
        <Field id="vm-sort" label="Sort by">
          <select id="vm-sort" className="input mt-1" value={view.sort} onChange={(e) => set({ sort: e.target.value as SortKey })}>
            <Options choices={SORT_KEYS.map((key) => ({ value: key, label: SORT_LABEL[key] }))} />
          </select>
        </Field>
        <Field id="vm-sort-dir" label="Order">
          <select id="vm-sort-dir" className="input mt-1" value={view.dir} onChange={(e) => set({ dir: e.target.value === "desc" ? "desc" : "asc" })}>
            <option value="asc">Ascending (A–Z, 0–9)</option>
            <option value="desc">Descending (Z–A, 9–0)</option>
          </select>
        </Field>
        <div className="flex items-end">
          <button
            type="button"
            className="btn btn-secondary mt-1 w-full"
            onClick={() => onChange(DEFAULT_VIEW)}
            disabled={activeFilters(view) === 0 && view.sort === "name" && view.dir === "asc"}
          >
            Clear filters and sort
          </button>
        </div>
      </form>
    </CollapsibleFilters>
  );
}

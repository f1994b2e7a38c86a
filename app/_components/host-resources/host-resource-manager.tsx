"use client";

import { Fragment, useState, type ComponentType, type ReactNode } from "react";
import { useQuery, type QueryKey, type UseQueryOptions } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { FormStatus } from "../form-status";
import { useHydrated } from "../use-hydrated";
import { useLiveRefetch, type LiveEvent } from "../live-events";
import { useTRPC } from "../trpc";

export interface HostOption {
  id: string;
  name: string;
}

/** One host's resources as the page read them; `error` when the host could not be asked. */
export interface HostItems<T> {
  host: HostOption;
  items: T[] | null;
  error: string | null;
}

/** Live events about a host: any of them can be named as "this host's list changed". */
export type HostEventType = Extract<LiveEvent, { hostId: string }>["type"];

/** Pools and networks: libvirt names each by UUID (empty for a few drivers), and by name within its host. */
interface HostResource {
  uuid: string;
  name: string;
}

/** What libvirt's driver sends no event for is read again this often; the design's floor for a fallback poll. */
const FALLBACK_POLL_MS = 30_000;

/** The list procedure's tRPC query options; its key and error types are the procedure's own. */
type ListQuery<T, K extends QueryKey, E extends { message: string }> = UseQueryOptions<T[], E, T[], K>;

/** What the page hands a resource's manager: each host's list as read on the server, and whether the user may change them. */
export interface HostResourceProps<T> {
  initial: HostItems<T>[];
  canManage: boolean;
}

export interface HostResourceManagerProps<T extends HostResource, K extends QueryKey, E extends { message: string }> extends HostResourceProps<T> {
  /** "pool", "network": an identifier, which the catalog words for the add button and its panel (common.hostResources). */
  noun: string;
  /** Said for a host that has none, in the page's language. */
  emptyText: string;
  /** Events that mean a host's list changed: that host's list is read again. */
  refreshOn: readonly HostEventType[];
  /** The list of one host: the tRPC query options of the resource's list procedure. */
  list: (trpc: ReturnType<typeof useTRPC>, hostId: string) => ListQuery<T, K, E>;
  /** One item, as a list item (`<li>`). */
  card: (item: T) => ReactNode;
  /** The form that adds one, on any of these hosts. */
  AddForm: ComponentType<{ hosts: HostOption[] }>;
}

function HostList<T extends HostResource, K extends QueryKey, E extends { message: string }>({
  initial,
  props,
}: {
  initial: HostItems<T>;
  props: HostResourceManagerProps<T, K, E>;
}) {
  const trpc = useTRPC();
  const items = useQuery({ ...props.list(trpc, initial.host.id), initialData: initial.items ?? undefined, refetchInterval: FALLBACK_POLL_MS });
  const headingId = `${props.noun}s-${initial.host.id}`;
  const error = items.error?.message ?? (items.data ? null : initial.error);
  // A host that cannot be read now: heading and cards as last read greyed, its reason beneath the heading.
  return (
    <section aria-labelledby={headingId} className="space-y-3" data-unreachable={error ? "" : undefined}>
      <h2 id={headingId} className={`text-lg font-semibold${error ? " text-slate-500 dark:text-slate-400" : ""}`}>
        {initial.host.name} <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({initial.host.id})</span>
      </h2>
      <FormStatus error={error} verbatim />
      {items.data && items.data.length === 0 && <p className="card text-sm">{props.emptyText}</p>}
      <ul className={`grid grid-cols-1 gap-3 lg:grid-cols-2${error ? " opacity-60" : ""}`}>
        {items.data?.map((item) => (
          <Fragment key={item.uuid || item.name}>{props.card(item)}</Fragment>
        ))}
      </ul>
    </section>
  );
}

function AddPanel({ noun, children }: { noun: string; children: ReactNode }) {
  const t = useTranslations("common.hostResources");
  const hydrated = useHydrated();
  const [open, setOpen] = useState(false);
  const panelId = `add-${noun}-panel`;
  return (
    <div className="space-y-3">
      <button type="button" className="btn btn-primary" aria-expanded={open} aria-controls={panelId} disabled={!hydrated} onClick={() => setOpen((v) => !v)}>
        {t("add", { noun })}
      </button>
      <section id={panelId} className="card" aria-labelledby={`${panelId}-heading`} hidden={!open}>
        <h2 id={`${panelId}-heading`} className="mb-4 text-lg font-semibold">
          {t("addTitle", { noun })}
        </h2>
        {children}
      </section>
    </div>
  );
}

/**
 * A page of per-host resources (storage pools, virtual networks): for managers a form to add one,
 * then each host's list as cards. One unreachable host shows its error beside the others.
 * Lists are read again after the events named in `refreshOn`, and every 30 s for what no event reports.
 */
export function HostResourceManager<T extends HostResource, K extends QueryKey, E extends { message: string }>(props: HostResourceManagerProps<T, K, E>) {
  const t = useTranslations("common.hostResources");
  const trpc = useTRPC();
  useLiveRefetch(props.refreshOn, (event) => [props.list(trpc, event.hostId).queryKey]);
  return (
    <div className="space-y-6">
      {props.canManage && (
        <AddPanel noun={props.noun}>
          <props.AddForm hosts={props.initial.map((h) => h.host)} />
        </AddPanel>
      )}
      {props.initial.length === 0 && <p className="card text-sm">{t("noHosts")}</p>}
      {props.initial.map((h) => (
        <HostList key={h.host.id} initial={h} props={props} />
      ))}
    </div>
  );
}

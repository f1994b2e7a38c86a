"use client";

import { useCallback, useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { VmState } from "@/server/domains/power";
import type { HostListItem } from "@/server/hosts/contract";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent, useLiveRefetch } from "@/app/_components/live-events";
import { useVmCache } from "@/app/_components/vm-cache";
import { FormStatus } from "@/app/_components/form-status";
import { allTags, applyView, viewToQuery, type ListView, type SortKey } from "./list-view";
import { VmFilters } from "./vm-filters";
import { rowKey, VmTable } from "./vm-table";
import { AgentUpdateBatch } from "./agent-update-batch";
import { BatchActions } from "./batch-actions";

type HostLists = inferRouterOutputs<AppRouter>["vms"]["list"];

/** Events the list cannot apply by itself (new or removed VMs, tags, a host down or back, moved, added or removed): it is read again. */
const REREAD_ON = ["domain.lifecycle", "domain.metadata", "domain.migrated", "host.connection", "host.changed"] as const;
/** A host's name changes only with its row; its connection is in the VM list's own answer. */
const HOSTS_REREAD_ON = ["host.changed"] as const;

/** A host that could not be listed now: the reason, and whether its VMs are shown as last seen. */
function DownHostNotice({ name, error, count }: { name: string; error: string; count: number | null }) {
  const t = useTranslations("vmList");
  return (
    <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100" data-testid="host-down">
      {count === null ? t("hostDown.none", { host: name }) : t("hostDown.stale", { host: name, count })} <span translate="no">{error}</span>
    </p>
  );
}

export function VmList({
  initial,
  initialHosts,
  initialView,
  canPower,
  canSnapshot,
  canUpdateAgents = false,
  canSeeScreens,
}: {
  initial: HostLists;
  /** Every host's name, for the filter, the host column and the notices. */
  initialHosts: HostListItem[];
  initialView: ListView;
  canPower: boolean;
  canSnapshot: boolean;
  /** "Update agent" for the selected VMs (guest.exec). */
  canUpdateAgents?: boolean;
  /** Running VMs' cards show a live thumbnail of the screen (the console's permission). */
  canSeeScreens: boolean;
}) {
  const t = useTranslations("vmList");
  const trpc = useTRPC();
  // Live events drive refreshes (a VM can appear, vanish or change on any host) and bring usage each collector tick; the 30 s poll is a fallback.
  const list = useQuery({ ...trpc.vms.list.queryOptions({}), initialData: initial, refetchInterval: 30_000 });
  const hostRows = useQuery({ ...trpc.hosts.list.queryOptions(), initialData: initialHosts });
  useLiveRefetch(HOSTS_REREAD_ON, () => [trpc.hosts.list.queryKey()]);
  const vmCache = useVmCache();
  // A lifecycle event that says the new state (stopped, paused, resumed…) is applied as it is, except that a
  // transient VM is gone once stopped, and a VM the list does not hold yet (just started from XML) is new.
  const rowOf = (event: { hostId: string; uuid: string }) => list.data.find((h) => h.hostId === event.hostId)?.vms.find((vm) => vm.uuid === event.uuid);
  const appliesInPlace = (event: { hostId: string; uuid: string; state: VmState | null }) => {
    const row = rowOf(event);
    return event.state !== null && row !== undefined && (row.persistent || (event.state !== "shutoff" && event.state !== "crashed"));
  };
  useLiveEvent("domain.lifecycle", (event) => event.state && appliesInPlace(event) && vmCache.setState(event, event.state));
  useLiveRefetch(REREAD_ON, (event) => (event.type === "domain.lifecycle" && appliesInPlace(event) ? [] : [trpc.vms.list.queryKey({})]));
  useLiveEvent("guest.status", (event) => vmCache.setGuest(event, { agent: event.agent, qga: event.qga }));
  useLiveEvent("metrics.tick", (event) => vmCache.setUsage(event));

  // The view lives in the URL: a change replaces the query in place (no navigation, no server round trip).
  const [view, setViewState] = useState(initialView);
  const setView = (next: ListView) => {
    setViewState(next);
    const query = viewToQuery(next);
    window.history.replaceState(window.history.state, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
  };
  const onSort = (key: SortKey) => setView({ ...view, sort: key, dir: view.sort === key && view.dir === "asc" ? "desc" : "asc" });

  const all = useMemo(() => list.data.flatMap((host) => host.vms), [list.data]);
  const rows = useMemo(() => applyView(all, view), [all, view]);
  const hostNames = useMemo(() => new Map(hostRows.data.map((h) => [h.id, h.name])), [hostRows.data]);
  const hosts = useMemo(() => list.data.map((h) => ({ value: h.hostId, label: hostNames.get(h.hostId) ?? h.hostId })), [list.data, hostNames]);
  // A host that is down keeps its VMs on screen as last seen, greyed, with the reason.
  const downHosts = useMemo(() => new Map(list.data.flatMap((h) => (h.error === null ? [] : [[h.hostId, h.error] as const]))), [list.data]);
  const tags = useMemo(() => allTags(all), [all]);

  // Only VMs on screen can be acted on: a filter narrows the selection with the list.
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const selectedRows = useMemo(() => rows.filter((vm) => picked.has(rowKey(vm))), [rows, picked]);
  const selected = useMemo(() => new Set(selectedRows.map(rowKey)), [selectedRows]);
  // Stable, so the memoised rows that stay on screen are not rendered again when one is ticked.
  const onSelect = useCallback(
    (key: string, on: boolean) =>
      setPicked((old) => {
        const next = new Set(old);
        if (on) next.add(key);
        else next.delete(key);
        return next;
      }),
    [],
  );
  const canSelect = canPower || canSnapshot || canUpdateAgents;

  return (
    <div className="space-y-4">
      {list.error && <FormStatus error={list.error.message} />}
      {list.data.map(
        (host) =>
          host.error !== null && (
            <DownHostNotice
              key={host.hostId}
              name={hostNames.get(host.hostId) ?? host.hostId}
              error={host.error}
              count={host.stale && host.vms.length > 0 ? host.vms.length : null}
            />
          ),
      )}
      <VmFilters view={view} onChange={setView} hosts={hosts} tags={tags} />
      {canSelect && (
        <BatchActions
          selected={selectedRows}
          shown={rows.length}
          onSelectAll={(on) => setPicked(on ? new Set(rows.map(rowKey)) : new Set())}
          canPower={canPower}
          canSnapshot={canSnapshot}
        />
      )}
      {canUpdateAgents && <AgentUpdateBatch selected={selectedRows} />}
      <p className="text-sm text-slate-600 dark:text-slate-400" role="status" data-testid="vm-count">
        {rows.length === all.length ? t("count.all", { count: all.length }) : t("count.shown", { shown: rows.length, total: all.length })}
      </p>
      {all.length === 0 && !list.data.some((h) => h.error) && <p className="card text-sm">{t("empty")}</p>}
      {all.length > 0 && rows.length === 0 && <p className="card text-sm">{t("noMatch")}</p>}
      {rows.length > 0 && (
        <VmTable
          rows={rows}
          view={view}
          onSort={onSort}
          selected={selected}
          onSelect={onSelect}
          canSelect={canSelect}
          canPower={canPower}
          canSeeScreens={canSeeScreens}
          showHost={hosts.length > 1}
          hostNames={hostNames}
          downHosts={downHosts}
        />
      )}
      <p className="text-xs text-slate-500 dark:text-slate-400">{t("ipNote")}</p>
    </div>
  );
}

"use client";

import { Link } from "@/app/_components/link";
import { memo, useLayoutEffect, useRef, useState } from "react";
import { useWindowVirtualizer } from "@tanstack/react-virtual";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { VmStateBadge } from "@/app/_components/vm-state-badge";
import { VmThumbnail } from "@/app/_components/vm-thumbnail";
import { PowerButtons } from "@/app/_components/power-buttons";
import { useFormat } from "@/app/_components/use-format";
import { agentGroup, type ListView, type SortKey } from "./list-view";

export type VmRow = inferRouterOutputs<AppRouter>["vms"]["list"][number]["vms"][number];

export const rowKey = (vm: { hostId: string; uuid: string }) => `${vm.hostId}/${vm.uuid}`;

/** Rows kept rendered above and below the screen, so Tab and a fast flick rarely reach an unrendered row. */
const OVERSCAN = 10;
/** A first guess per row before it is measured: a table row on a desktop, a card on a phone. */
const ESTIMATE_PX = 64;
/** What the server renders before the browser knows its window: enough rows to fill a tall desktop screen. */
const SERVER_RECT = { width: 1280, height: 1200 };

/**
 * The table's sortable columns, in the order shown. Tags sit under the name and the agent under the
 * state, so a desktop row keeps its power buttons in view; they sort from the filter form's "Sort by".
 */
const COLUMNS: { key: SortKey; className?: string }[] = [
  { key: "name" },
  { key: "state" },
  { key: "host" },
  { key: "vcpus", className: "text-right" },
  { key: "memory", className: "text-right" },
  { key: "cpu", className: "text-right" },
  { key: "ip" },
];

/** A cell's label on a phone, where each row is a card and there is no header to read it from. */
function CardLabel({ children }: { children: string }) {
  return <span className="mr-1 text-xs text-slate-500 dark:text-slate-400 lg:hidden">{children}</span>;
}

/**
 * The VMs as one table (a card per row below the `lg` width), virtualised against the window's
 * scroll: only the rows on screen and OVERSCAN around them are in the page, while the table tells
 * assistive technology how many rows there are (`aria-rowcount`) and where each one is
 * (`aria-rowindex`). Rows are measured as they render, so cards and table rows of any height fit.
 */
export function VmTable({
  rows,
  view,
  onSort,
  selected,
  onSelect,
  canSelect,
  canPower,
  canSeeScreens,
  showHost,
  hostNames,
  downHosts,
}: {
  rows: VmRow[];
  view: ListView;
  onSort: (key: SortKey) => void;
  selected: ReadonlySet<string>;
  onSelect: (key: string, on: boolean) => void;
  canSelect: boolean;
  canPower: boolean;
  canSeeScreens: boolean;
  /** With one host the column says nothing on a desktop; a phone's card still names it. */
  showHost: boolean;
  hostNames: ReadonlyMap<string, string>;
  /** Hosts that could not be listed now, with the reason: their VMs are shown as last seen, greyed, without actions. */
  downHosts: ReadonlyMap<string, string>;
}) {
  const t = useTranslations("vmList");
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const [scrollMargin, setScrollMargin] = useState(0);
  // Where the rows start on the page moves when the filters fold or a notice appears above them.
  useLayoutEffect(() => {
    const top = (bodyRef.current?.getBoundingClientRect().top ?? 0) + window.scrollY;
    if (Math.abs(top - scrollMargin) > 1) setScrollMargin(top);
  });
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ESTIMATE_PX,
    overscan: OVERSCAN,
    scrollMargin,
    initialRect: SERVER_RECT,
    getItemKey: (index) => rowKey(rows[index]!),
  });
  const items = virtualizer.getVirtualItems();
  const before = items.length > 0 ? items[0]!.start - scrollMargin : 0;
  const after = items.length > 0 ? virtualizer.getTotalSize() - (items.at(-1)!.end - scrollMargin) : 0;
  const columns = COLUMNS.filter((c) => showHost || c.key !== "host");
  const span = 1 + columns.length + (canPower ? 1 : 0);

  return (
    <table role="table" aria-label={t("table.label")} aria-rowcount={rows.length + 1} className="block w-full text-sm lg:table">
      <thead role="rowgroup" className="hidden lg:table-header-group">
        <tr role="row" aria-rowindex={1} className="border-b border-slate-200 text-left dark:border-slate-800">
          <th role="columnheader" scope="col" className="w-14 px-1">
            <span className="sr-only">{t("table.selected")}</span>
          </th>
          {columns.map(({ key, className }) => {
            const sorted = view.sort === key;
            return (
              <th
                key={key}
                role="columnheader"
                scope="col"
                aria-sort={sorted ? (view.dir === "asc" ? "ascending" : "descending") : "none"}
                className={`px-1 font-semibold whitespace-nowrap ${className ?? ""}`}
              >
                <button
                  type="button"
                  className={`inline-flex min-h-11 min-w-11 items-center gap-1 rounded px-1 hover:bg-slate-100 dark:hover:bg-slate-800 ${className === "text-right" ? "justify-end" : ""}`}
                  onClick={() => onSort(key)}
                  title={t(`table.sortBy.${key}`)}
                >
                  {t(`columns.${key}`)}
                  <span aria-hidden="true" className="text-xs text-slate-500 dark:text-slate-400">
                    {sorted ? (view.dir === "asc" ? "▲" : "▼") : ""}
                  </span>
                </button>
              </th>
            );
          })}
          {canPower && (
            <th role="columnheader" scope="col" className="px-1 font-semibold">
              {t("table.power")}
            </th>
          )}
        </tr>
      </thead>
      <tbody ref={bodyRef} role="rowgroup" className="block lg:table-row-group">
        {before > 0 && (
          <tr aria-hidden="true" className="block lg:table-row" style={{ height: before }}>
            <td colSpan={span} className="block p-0 lg:table-cell" />
          </tr>
        )}
        {items.map((item) => {
          const vm = rows[item.index]!;
          return (
            <VmTableRow
              key={item.key}
              vm={vm}
              index={item.index}
              measure={virtualizer.measureElement}
              selected={selected.has(rowKey(vm))}
              onSelect={onSelect}
              canSelect={canSelect}
              canPower={canPower}
              canSeeScreens={canSeeScreens}
              showHost={showHost}
              hostName={hostNames.get(vm.hostId) ?? vm.hostId}
              hostDown={downHosts.get(vm.hostId) ?? null}
            />
          );
        })}
        {after > 0 && (
          <tr aria-hidden="true" className="block lg:table-row" style={{ height: after }}>
            <td colSpan={span} className="block p-0 lg:table-cell" />
          </tr>
        )}
      </tbody>
    </table>
  );
}

/**
 * One VM's row. Memoised: a scroll re-renders the table for the rows that come and go, and the rows
 * that stay (with their power buttons) are not rendered again unless their VM or selection changed.
 */
const VmTableRow = memo(function VmTableRow({
  vm,
  index,
  measure,
  selected,
  onSelect,
  canSelect,
  canPower,
  canSeeScreens,
  showHost,
  hostName,
  hostDown,
}: {
  vm: VmRow;
  index: number;
  measure: (element: Element | null) => void;
  selected: boolean;
  onSelect: (key: string, on: boolean) => void;
  canSelect: boolean;
  canPower: boolean;
  canSeeScreens: boolean;
  showHost: boolean;
  hostName: string;
  /** Why the VM's host could not be listed; the row is its last-seen state. */
  hostDown: string | null;
}) {
  const t = useTranslations("vmList");
  const f = useFormat();
  const checkboxId = `vm-select-${vm.hostId}-${vm.uuid}`;
  const agentWords = t(`agentWords.${agentGroup(vm.guest)}`);
  return (
    <tr
      ref={measure}
      data-index={index}
      role="row"
      aria-rowindex={index + 2}
      aria-label={t("table.row", { name: vm.name })}
      aria-selected={canSelect ? selected : undefined}
      data-host-down={hostDown === null ? undefined : ""}
      className={`${hostDown === null ? "" : "opacity-60"} card mb-3 flex flex-wrap items-center gap-x-4 gap-y-1 lg:mb-0 lg:table-row lg:rounded-none lg:border-0 lg:border-b lg:p-0 lg:shadow-none`}
    >
      <td role="cell" className="shrink-0 lg:px-1 lg:align-middle">
        {canSelect && (
          <label htmlFor={checkboxId} className="inline-flex min-h-11 min-w-11 items-center gap-2">
            <input id={checkboxId} type="checkbox" className="size-5" checked={selected} onChange={(event) => onSelect(rowKey(vm), event.target.checked)} />
            <span className="sr-only">{t("table.select", { name: vm.name })}</span>
          </label>
        )}
      </td>
      <td role="cell" className="min-w-0 flex-1 basis-[calc(100%-4rem)] lg:px-1 lg:align-middle">
        <Link
          href={`/vms/${vm.hostId}/${vm.uuid}`}
          translate="no"
          className="block min-h-11 min-w-0 truncate text-base leading-[2.75rem] font-semibold text-sky-800 underline-offset-2 hover:underline lg:py-3 lg:text-sm lg:leading-5 lg:whitespace-normal lg:[overflow-wrap:anywhere] dark:text-sky-300"
        >
          {vm.name}
        </Link>
        {hostDown !== null && (
          <span className="block text-xs text-slate-600 dark:text-slate-400" title={hostDown}>
            {t("table.lastSeen", { host: hostName })}
          </span>
        )}
        {vm.autostart && <span className="text-xs text-slate-500 dark:text-slate-400">{t("table.autostart")}</span>}
        {vm.tags.length > 0 && (
          <ul className="hidden flex-wrap gap-1 pb-1 lg:flex" aria-label={t("table.tags")}>
            {vm.tags.map((tag) => (
              <li key={tag} translate="no" className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">
                {tag}
              </li>
            ))}
          </ul>
        )}
      </td>
      <td role="cell" className="lg:px-1 lg:align-middle">
        <CardLabel>{t("card.state")}</CardLabel>
        <VmStateBadge state={vm.state} />
        <span className="hidden text-xs whitespace-nowrap text-slate-500 dark:text-slate-400 lg:block">{t("table.agentLine", { agent: agentWords })}</span>
      </td>
      <td role="cell" className={`truncate lg:px-1 lg:align-middle ${showHost ? "" : "lg:hidden"}`}>
        <CardLabel>{t("card.host")}</CardLabel>
        <span translate="no">{hostName}</span>
      </td>
      <td role="cell" className="whitespace-nowrap lg:px-1 lg:text-right lg:align-middle">
        <CardLabel>{t("card.vcpus")}</CardLabel>
        {f.number(vm.vcpus)}
      </td>
      <td role="cell" className="whitespace-nowrap lg:px-1 lg:text-right lg:align-middle">
        <CardLabel>{t("card.memory")}</CardLabel>
        {f.bytes(vm.memoryKiB * 1024)}
        {vm.usage.memoryUsedKiB !== null && (
          <span className="block text-xs text-slate-500 dark:text-slate-400">{t("table.memoryUsed", { used: f.bytes(vm.usage.memoryUsedKiB * 1024) })}</span>
        )}
      </td>
      <td role="cell" className="whitespace-nowrap lg:px-1 lg:text-right lg:align-middle">
        <CardLabel>{t("card.cpu")}</CardLabel>
        <span data-testid="vm-cpu">{vm.usage.cpuPercent === null ? "—" : t("table.cpuPercent", { percent: f.number(vm.usage.cpuPercent, 1) })}</span>
        <UsageRates usage={vm.usage} />
      </td>
      <td role="cell" className="min-w-0 basis-full break-words lg:max-w-40 lg:px-1 lg:align-middle">
        <CardLabel>{t("card.ip")}</CardLabel>
        {vm.ips.length === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">—</span>
        ) : (
          <span translate="no" className="font-mono text-xs">
            {vm.ips.join(", ")}
          </span>
        )}
      </td>
      <td role="cell" className="min-w-0 basis-full lg:hidden">
        <CardLabel>{t("card.tags")}</CardLabel>
        {vm.tags.length === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">—</span>
        ) : (
          <ul className="inline-flex flex-wrap gap-1" aria-label={t("table.tags")}>
            {vm.tags.map((tag) => (
              <li key={tag} translate="no" className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">
                {tag}
              </li>
            ))}
          </ul>
        )}
      </td>
      {canSeeScreens && vm.state === "running" && hostDown === null && (
        <td role="cell" className="basis-full lg:hidden">
          <VmThumbnail hostId={vm.hostId} uuid={vm.uuid} name={vm.name} running hideWhenUnavailable className="w-40" />
        </td>
      )}
      <td role="cell" className="basis-full lg:hidden">
        <CardLabel>{t("card.agent")}</CardLabel>
        <span className="text-xs">{agentWords}</span>
      </td>
      {canPower && (
        <td role="cell" className="basis-full py-1 lg:w-[24rem] lg:px-1 lg:py-2 lg:align-middle">
          {hostDown === null && <PowerButtons hostId={vm.hostId} uuid={vm.uuid} name={vm.name} state={vm.state} where="list" />}
        </td>
      )}
    </tr>
  );
});

/** Disk and network rates under the CPU figure, once the collector has two samples of the VM. */
function UsageRates({ usage }: { usage: VmRow["usage"] }) {
  const t = useTranslations("vmList");
  const f = useFormat();
  const rate = (bytesPerSecond: number) => t("table.perSecond", { amount: f.bytes(bytesPerSecond) });
  return (
    <>
      {usage.diskReadBps !== null && usage.diskWriteBps !== null && (
        <span className="block text-xs text-slate-500 dark:text-slate-400">
          {t("table.diskRates", { read: rate(usage.diskReadBps), write: rate(usage.diskWriteBps) })}
        </span>
      )}
      {usage.netRxBps !== null && usage.netTxBps !== null && (
        <span className="block text-xs text-slate-500 dark:text-slate-400">{t("table.netRates", { rx: rate(usage.netRxBps), tx: rate(usage.netTxBps) })}</span>
      )}
    </>
  );
}

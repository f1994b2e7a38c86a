"use client";

import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { VmState } from "@/server/domains/power";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent, useLiveRefetch } from "@/app/_components/live-events";
import { useVmCache } from "@/app/_components/vm-cache";
import { VmStateBadge } from "@/app/_components/vm-state-badge";
import { PowerButtons } from "@/app/_components/power-buttons";
import { FormStatus } from "@/app/_components/form-status";
import { formatBytes } from "@/app/_components/format";
import { Fact } from "@/app/_components/fact";

type HostLists = inferRouterOutputs<AppRouter>["vms"]["list"];

/** Events the list cannot apply by itself (new or removed VMs, tags, a host back): it is read again. */
const REREAD_ON = ["domain.lifecycle", "domain.metadata", "host.connection"] as const;

export function VmList({ initial, canPower }: { initial: HostLists; canPower: boolean }) {
  const trpc = useTRPC();
  // Live events drive refreshes (a VM can appear, vanish or change on any host); the 30 s poll only keeps the usage figures fresh.
  const list = useQuery({ ...trpc.vms.list.queryOptions({}), initialData: initial, refetchInterval: 30_000 });
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

  return (
    <div className="space-y-6">
      {list.error && <FormStatus error={list.error.message} />}
      {list.data.map((host) => (
        <section key={host.hostId} aria-labelledby={`vms-${host.hostId}`} className="space-y-3">
          <h2 id={`vms-${host.hostId}`} className="text-lg font-semibold">
            Host {host.hostId}
          </h2>
          {host.error && <FormStatus error={host.error} />}
          {!host.error && host.vms.length === 0 && <p className="card text-sm">No virtual machines on this host.</p>}
          <ul className="grid grid-cols-1 gap-3 lg:grid-cols-2">
            {host.vms.map((vm) => (
              <li key={vm.uuid} className="card space-y-3" aria-label={`VM ${vm.name}`}>
                <div className="flex flex-wrap items-center gap-2">
                  <Link
                    href={`/vms/${vm.hostId}/${vm.uuid}`}
                    className="block min-h-11 min-w-0 truncate text-base leading-[2.75rem] font-semibold text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
                  >
                    {vm.name}
                  </Link>
                  <VmStateBadge state={vm.state} />
                  {vm.autostart && <span className="text-xs text-slate-500">autostart</span>}
                </div>
                <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-4">
                  <Fact label="vCPUs">{vm.vcpus}</Fact>
                  <Fact label="Memory">{formatBytes(vm.memoryKiB * 1024)}</Fact>
                  <Fact label="CPU">{vm.usage.cpuPercent === null ? "—" : `${vm.usage.cpuPercent.toFixed(0)} %`}</Fact>
                  <Fact label="Memory used">{vm.usage.memoryUsedKiB === null ? "—" : formatBytes(vm.usage.memoryUsedKiB * 1024)}</Fact>
                </dl>
                {vm.tags.length > 0 && (
                  <ul className="flex flex-wrap gap-1" aria-label="Tags">
                    {vm.tags.map((t) => (
                      <li key={t} className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">
                        {t}
                      </li>
                    ))}
                  </ul>
                )}
                {canPower && <PowerButtons hostId={vm.hostId} uuid={vm.uuid} name={vm.name} state={vm.state} where="list" />}
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
}

"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { HostConnectionState, HostListItem } from "@/server/hosts/contract";
import { useTRPC } from "@/app/_components/trpc";
import { useFormat } from "@/app/_components/use-format";
import { Fact } from "@/app/_components/fact";
import { HostUsage } from "@/app/(app)/_dashboard/host-usage";
import { HostActions } from "./host-actions";

const STATE_TONE: Record<HostConnectionState, string> = {
  connected: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/50 dark:text-emerald-100",
  unresponsive: "bg-red-100 text-red-900 dark:bg-red-900/50 dark:text-red-100",
  connecting: "bg-amber-100 text-amber-900 dark:bg-amber-900/50 dark:text-amber-100",
  unreachable: "bg-red-100 text-red-900 dark:bg-red-900/50 dark:text-red-100",
  disabled: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
};

/** "reconnecting" rather than "connecting" once a connection has failed: the error says why it is retried. */
function ConnectionBadge({ host }: { host: HostListItem }) {
  const t = useTranslations("hosts.state");
  const { state, error } = host.connection;
  const word = state === "connecting" && error ? t("reconnecting") : t(state);
  return (
    <span className={`rounded px-1.5 py-0.5 text-xs font-medium ${STATE_TONE[state]}`} data-testid="host-state">
      {word}
    </span>
  );
}

/** What libvirt says of a connected host: versions, CPU, capacity, and the collector's latest use. */
function HostFacts({ hostId }: { hostId: string }) {
  const t = useTranslations("hosts.facts");
  const f = useFormat();
  const trpc = useTRPC();
  const info = useQuery(trpc.hosts.info.queryOptions({ hostId }));
  if (info.isPending) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("loading")}</p>;
  if (info.error)
    return (
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="host-info-error">
        {t("failed")} <span translate="no">{info.error.message}</span>
      </p>
    );
  const i = info.data;
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <Fact label={t("hostname")}>
          <span translate="no">{i.hostname}</span>
        </Fact>
        <Fact label={t("libvirt")}>{i.libvirtVersion}</Fact>
        <Fact label={t("hypervisor")}>
          <span translate="no">{t("hypervisorVersion", { name: i.hypervisor, version: i.hypervisorVersion })}</span>
        </Fact>
        <Fact label={t("cpuModel")}>
          <span translate="no">{t("cpuModelArch", { model: i.cpuModel, arch: i.arch })}</span>
        </Fact>
        <Fact label={t("cpus")}>{t("cpuTopology", { cpus: i.cpus, sockets: i.sockets, cores: i.cores, threads: i.threads, mhz: f.number(i.mhz) })}</Fact>
        <Fact label={t("memory")}>
          {i.memoryFreeBytes === null ? f.bytes(i.memoryBytes) : t("memoryFree", { total: f.bytes(i.memoryBytes), free: f.bytes(i.memoryFreeBytes) })}
        </Fact>
        <Fact label={t("vms")}>{t("vmCounts", { running: i.activeDomains, stopped: i.inactiveDomains })}</Fact>
      </dl>
      <HostUsage hostId={hostId} initial={i.usage} />
    </div>
  );
}

/**
 * One host: its name, address and connection, the pinned host key, and (while connected) what its
 * libvirt reports. A host that is not connected is greyed with the reason; the others are unaffected.
 */
export function HostCard({ host, hosts, canManage, canMigrate }: { host: HostListItem; hosts: HostListItem[]; canManage: boolean; canMigrate: boolean }) {
  const t = useTranslations("hosts");
  const connected = host.connection.state === "connected";
  return (
    <li className="card space-y-3" aria-label={t("card.label", { name: host.name })}>
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="min-w-0 break-words text-lg font-semibold" translate="no">
          {host.name}
        </h2>
        <ConnectionBadge host={host} />
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{t(`transport.${host.transport}`)}</span>
      </div>
      <dl className="grid grid-cols-1 gap-3 text-sm sm:grid-cols-2">
        <Fact label={t("card.address")} className="break-all font-mono text-xs">
          <span translate="no">{host.address}</span>
        </Fact>
        {host.hostKeyFingerprint && (
          <Fact label={t("card.hostKey")} className="break-all font-mono text-xs">
            <span translate="no">{host.hostKeyFingerprint}</span>
          </Fact>
        )}
      </dl>
      {host.connection.error && (
        <p className="text-sm text-red-800 dark:text-red-300" data-testid="host-error">
          {t("card.lastError")} <span translate="no">{host.connection.error}</span>
        </p>
      )}
      <div className={connected ? "" : "opacity-60"}>
        {host.connection.state === "connected" ? <HostFacts hostId={host.id} /> : <p className="text-sm">{t(`card.notConnected.${host.connection.state}`)}</p>}
      </div>
      {canManage && <HostActions host={host} hosts={hosts} canMigrate={canMigrate} />}
    </li>
  );
}

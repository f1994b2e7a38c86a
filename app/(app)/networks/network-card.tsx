"use client";

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "../../_components/trpc";
import { FormStatus } from "../../_components/form-status";
import { formatDateTime } from "../../_components/format";
import { useHydrated } from "../../_components/use-hydrated";

export type Network = inferRouterOutputs<AppRouter>["networks"]["list"][number];

const MODE_LABEL: Record<string, string> = {
  nat: "NAT",
  isolated: "isolated",
  bridge: "bridge",
  route: "routed",
  open: "open",
};

function ActiveBadge({ active }: { active: boolean }) {
  const tone = active
    ? "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100"
    : "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200";
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${tone}`}>{active ? "active" : "inactive"}</span>;
}

function DhcpLeases({ network }: { network: Network }) {
  const trpc = useTRPC();
  const leases = useQuery({ ...trpc.networks.dhcpLeases.queryOptions({ hostId: network.hostId, network: network.name }), refetchInterval: 30_000 });
  if (leases.isPending) return <p className="text-sm">Loading leases…</p>;
  if (leases.error) return <FormStatus error={leases.error.message} />;
  if (leases.data.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No DHCP leases on this network.</p>;
  return (
    <ul className="space-y-2" aria-label={`DHCP leases of ${network.name}`}>
      {leases.data.map((lease) => (
        <li key={`${lease.ipAddress}-${lease.mac ?? lease.clientId ?? ""}`} className="min-w-0 rounded-md border border-slate-200 p-2 text-sm dark:border-slate-700">
          <div className="break-all font-mono">
            {lease.ipAddress}/{lease.prefix}
          </div>
          <div className="break-all text-xs text-slate-600 dark:text-slate-400">
            {lease.hostname ?? "no host name"} · {lease.mac ?? lease.clientId ?? "no MAC"} · until {formatDateTime(lease.expiresAt)}
          </div>
        </li>
      ))}
    </ul>
  );
}

function DeleteNetwork({ network, onCancel }: { network: Network; onCancel: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const remove = useMutation(trpc.networks.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() }) }));
  return (
    <div className="space-y-3 rounded-md border border-red-200 p-3 dark:border-red-900" role="group" aria-label={`Confirm deleting network ${network.name}`}>
      <p className="text-sm">
        Delete <span className="break-all font-mono">{network.name}</span>? It stops first; guests attached to it lose their connection there.
      </p>
      <FormStatus error={remove.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className="btn bg-red-700 text-white hover:bg-red-800"
          disabled={!hydrated || remove.isPending}
          onClick={() => remove.mutate({ hostId: network.hostId, network: network.name })}
        >
          {remove.isPending ? "Deleting…" : "Yes, delete network"}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function NetworkCard({ network, canManage }: { network: Network; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const autostartId = useId();
  const leasesId = useId();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [wantAutostart, setWantAutostart] = useState<boolean | null>(null);
  const [showLeases, setShowLeases] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() });
  const ref = { hostId: network.hostId, network: network.name };
  const start = useMutation(trpc.networks.start.mutationOptions({ onSettled: invalidate }));
  const stop = useMutation(trpc.networks.stop.mutationOptions({ onSettled: invalidate }));
  const autostart = useMutation(trpc.networks.setAutostart.mutationOptions({ onSettled: invalidate }));
  const busy = !hydrated || start.isPending || stop.isPending || autostart.isPending;
  const error = start.error?.message ?? stop.error?.message ?? autostart.error?.message ?? null;
  const ipv4 = network.ips.filter((ip) => ip.family === "ipv4");
  const ipv6 = network.ips.filter((ip) => ip.family === "ipv6");
  const ranges = network.ips.flatMap((ip) => ip.dhcpRanges);
  const leasesAvailable = ranges.length > 0 && network.active;

  return (
    <li className="card min-w-0 space-y-3" aria-label={`Network ${network.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="min-w-0 break-all text-base font-semibold">{network.name}</span>
        <ActiveBadge active={network.active} />
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{MODE_LABEL[network.forwardMode] ?? network.forwardMode}</span>
        {network.autostart && <span className="text-xs text-slate-500">autostart</span>}
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm">
        <div>
          <dt className="text-xs text-slate-500">Forward mode</dt>
          <dd>{MODE_LABEL[network.forwardMode] ?? network.forwardMode}</dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs text-slate-500">Bridge</dt>
          <dd className="break-all font-mono">{network.bridge ?? "—"}</dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs text-slate-500">IPv4</dt>
          <dd className="break-all font-mono">{ipv4.length ? ipv4.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ") : "—"}</dd>
        </div>
        <div className="min-w-0">
          <dt className="text-xs text-slate-500">DHCP range</dt>
          <dd className="font-mono">
            {ranges.length
              ? ranges.map((r, i) => (
                  <span key={`${r.start}-${r.end}`} className="block">
                    <span className="whitespace-nowrap">{r.start}</span> – <span className="whitespace-nowrap">{r.end}</span>
                    {i < ranges.length - 1 && ","}
                  </span>
                ))
              : "none"}
          </dd>
        </div>
        {ipv6.length > 0 && (
          <div className="col-span-2 min-w-0">
            <dt className="text-xs text-slate-500">IPv6</dt>
            <dd className="break-all font-mono">{ipv6.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ")}</dd>
          </div>
        )}
      </dl>
      {(canManage || leasesAvailable) && (
        <div className="flex flex-wrap items-center gap-2" role="group" aria-label={`Actions for network ${network.name}`}>
          {canManage &&
            (network.active ? (
              <button type="button" className="btn btn-secondary" disabled={busy} onClick={() => stop.mutate(ref)}>
                Stop
              </button>
            ) : (
              <button type="button" className="btn btn-primary" disabled={busy} onClick={() => start.mutate(ref)}>
                Start
              </button>
            ))}
          {leasesAvailable && (
            <button
              type="button"
              className="btn btn-secondary"
              aria-expanded={showLeases}
              aria-controls={showLeases ? leasesId : undefined}
              disabled={!hydrated}
              onClick={() => setShowLeases((v) => !v)}
            >
              DHCP leases
            </button>
          )}
          {canManage && !confirmingDelete && (
            <button type="button" className="btn btn-secondary text-red-700 dark:text-red-300" disabled={!hydrated} onClick={() => setConfirmingDelete(true)}>
              Delete
            </button>
          )}
          {canManage && (
            <div className="flex min-h-10 items-center gap-2 text-sm">
              <input
                id={autostartId}
                type="checkbox"
                checked={wantAutostart ?? network.autostart}
                disabled={busy || !network.persistent}
                onChange={(e) => {
                  // Shown at once; the list refetch after the call brings the host's real value.
                  setWantAutostart(e.target.checked);
                  autostart.mutate({ ...ref, autostart: e.target.checked }, { onSettled: () => setWantAutostart(null) });
                }}
              />
              <label htmlFor={autostartId}>Start at boot</label>
            </div>
          )}
        </div>
      )}
      <FormStatus error={error} />
      {showLeases && leasesAvailable && (
        <div id={leasesId}>
          <DhcpLeases network={network} />
        </div>
      )}
      {confirmingDelete && <DeleteNetwork network={network} onCancel={() => setConfirmingDelete(false)} />}
    </li>
  );
}

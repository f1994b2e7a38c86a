"use client";

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { useToasts } from "@/app/_components/toasts";
import { Fact } from "@/app/_components/fact";
import { formatDateTime } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ResourceActions, useLifecycle } from "@/app/_components/host-resources/resource-actions";

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
        <li
          key={`${lease.ipAddress}-${lease.mac ?? lease.clientId ?? ""}`}
          className="min-w-0 rounded-md border border-slate-200 p-2 text-sm dark:border-slate-700"
        >
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

export function NetworkCard({ network, canManage }: { network: Network; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const leasesId = useId();
  const [showLeases, setShowLeases] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() });
  const ref = { hostId: network.hostId, network: network.name };
  const lifecycle = useLifecycle(
    ref,
    invalidate,
    trpc.networks.start.mutationOptions(),
    trpc.networks.stop.mutationOptions(),
    trpc.networks.setAutostart.mutationOptions(),
  );
  const toasts = useToasts();
  const remove = useMutation(
    trpc.networks.delete.mutationOptions({
      onSuccess: () => {
        void invalidate();
        toasts.success(`network ${network.hostId}/${network.name}`, `Network ${network.name} deleted.`);
      },
    }),
  );
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
        {network.autostart && <span className="text-xs text-slate-500 dark:text-slate-400">autostart</span>}
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm">
        <Fact label="Forward mode">{MODE_LABEL[network.forwardMode] ?? network.forwardMode}</Fact>
        <Fact label="Bridge" className="break-all font-mono">
          {network.bridge ?? "—"}
        </Fact>
        <Fact label="IPv4" className="break-all font-mono">
          {ipv4.length ? ipv4.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ") : "—"}
        </Fact>
        <Fact label="DHCP range" className="font-mono">
          {ranges.length
            ? ranges.map((r, i) => (
                <span key={`${r.start}-${r.end}`} className="block">
                  <span className="whitespace-nowrap">{r.start}</span> – <span className="whitespace-nowrap">{r.end}</span>
                  {i < ranges.length - 1 && ","}
                </span>
              ))
            : "none"}
        </Fact>
        {ipv6.length > 0 && (
          <Fact label="IPv6" wide className="break-all font-mono">
            {ipv6.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ")}
          </Fact>
        )}
      </dl>
      <ResourceActions
        noun="network"
        item={network}
        canManage={canManage}
        lifecycle={lifecycle}
        confirmDelete={(close) => (
          <ConfirmDelete
            what={`network ${network.name}`}
            confirmLabel="Yes, delete network"
            mutation={remove}
            onConfirm={() => remove.mutate(ref)}
            onCancel={close}
          >
            <p className="text-sm">
              Delete <span className="break-all font-mono">{network.name}</span>? It stops first; guests attached to it lose their connection there.
            </p>
          </ConfirmDelete>
        )}
      >
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
      </ResourceActions>
      {showLeases && leasesAvailable && (
        <div id={leasesId}>
          <DhcpLeases network={network} />
        </div>
      )}
    </li>
  );
}

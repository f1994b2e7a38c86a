"use client";

import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc";
import { useLiveEvents } from "../../_components/live-events";
import { FormStatus } from "../../_components/form-status";
import { useHydrated } from "../../_components/use-hydrated";
import { NetworkCard, type Network } from "./network-card";
import { AddNetworkForm, type HostOption } from "./add-network-form";

export interface HostNetworks {
  host: HostOption;
  networks: Network[] | null;
  error: string | null;
}

const LIVE_TYPES = ["host.connection"] as const;

function HostNetworkList({ initial, canManage }: { initial: HostNetworks; canManage: boolean }) {
  const trpc = useTRPC();
  const input = { hostId: initial.host.id };
  // libvirt sends no network events we relay yet: refetch after our own actions, on reconnects, and every 30 s.
  const networks = useQuery({ ...trpc.networks.list.queryOptions(input), initialData: initial.networks ?? undefined, refetchInterval: 30_000 });
  const headingId = `networks-${initial.host.id}`;
  const error = networks.error?.message ?? (networks.data ? null : initial.error);

  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="text-lg font-semibold">
        {initial.host.name} <span className="text-sm font-normal text-slate-500">({initial.host.id})</span>
      </h2>
      <FormStatus error={error} />
      {networks.data && networks.data.length === 0 && <p className="card text-sm">No virtual networks on this host.</p>}
      <ul className="grid grid-cols-1 gap-3 lg:grid-cols-2">
        {networks.data?.map((network) => <NetworkCard key={network.uuid || network.name} network={network} canManage={canManage} />)}
      </ul>
    </section>
  );
}

export function NetworksManager({ initial, canManage }: { initial: HostNetworks[]; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // One event stream for the page: a host that reconnects gets its list read again.
  useLiveEvents(LIVE_TYPES, (_type, data) => {
    const hostId = (data as { hostId?: string }).hostId;
    if (hostId) void queryClient.invalidateQueries({ queryKey: trpc.networks.list.queryKey({ hostId }) });
  });
  const hydrated = useHydrated();
  const [adding, setAdding] = useState(false);
  return (
    <div className="space-y-6">
      {canManage && (
        <div className="space-y-3">
          <button type="button" className="btn btn-primary" aria-expanded={adding} aria-controls="add-network-panel" disabled={!hydrated} onClick={() => setAdding((v) => !v)}>
            Add network
          </button>
          <section id="add-network-panel" className="card" aria-labelledby="add-network-heading" hidden={!adding}>
            <h2 id="add-network-heading" className="mb-4 text-lg font-semibold">
              Add a network
            </h2>
            <AddNetworkForm hosts={initial.map((h) => h.host)} />
          </section>
        </div>
      )}
      {initial.length === 0 && <p className="card text-sm">No hosts are configured.</p>}
      {initial.map((h) => (
        <HostNetworkList key={h.host.id} initial={h} canManage={canManage} />
      ))}
    </div>
  );
}

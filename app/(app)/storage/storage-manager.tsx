"use client";

import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../../_components/trpc";
import { useLiveEvents } from "../../_components/live-events";
import { FormStatus } from "../../_components/form-status";
import { useHydrated } from "../../_components/use-hydrated";
import { PoolCard, type Pool } from "./pool-card";
import { AddPoolForm, type HostOption } from "./add-pool-form";

export interface HostPools {
  host: HostOption;
  pools: Pool[] | null;
  error: string | null;
}

const LIVE_TYPES = ["host.connection"] as const;

function HostPoolList({ initial, canManage }: { initial: HostPools; canManage: boolean }) {
  const trpc = useTRPC();
  const input = { hostId: initial.host.id };
  // libvirt sends no pool events we relay yet: refetch after our own actions, on reconnects, and every 30 s.
  const pools = useQuery({ ...trpc.storage.pools.queryOptions(input), initialData: initial.pools ?? undefined, refetchInterval: 30_000 });
  const headingId = `pools-${initial.host.id}`;
  const error = pools.error?.message ?? (pools.data ? null : initial.error);

  return (
    <section aria-labelledby={headingId} className="space-y-3">
      <h2 id={headingId} className="text-lg font-semibold">
        {initial.host.name} <span className="text-sm font-normal text-slate-500">({initial.host.id})</span>
      </h2>
      <FormStatus error={error} />
      {pools.data && pools.data.length === 0 && <p className="card text-sm">No storage pools on this host.</p>}
      <ul className="grid grid-cols-1 gap-3 lg:grid-cols-2">
        {pools.data?.map((pool) => <PoolCard key={pool.uuid || pool.name} pool={pool} canManage={canManage} />)}
      </ul>
    </section>
  );
}

export function StorageManager({ initial, canManage }: { initial: HostPools[]; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // One event stream for the page: a host that reconnects gets its list read again.
  useLiveEvents(LIVE_TYPES, (_type, data) => {
    const hostId = (data as { hostId?: string }).hostId;
    if (hostId) void queryClient.invalidateQueries({ queryKey: trpc.storage.pools.queryKey({ hostId }) });
  });
  const hydrated = useHydrated();
  const [adding, setAdding] = useState(false);
  return (
    <div className="space-y-6">
      {canManage && (
        <div className="space-y-3">
          <button type="button" className="btn btn-primary" aria-expanded={adding} aria-controls="add-pool-panel" disabled={!hydrated} onClick={() => setAdding((v) => !v)}>
            Add pool
          </button>
          <section id="add-pool-panel" className="card" aria-labelledby="add-pool-heading" hidden={!adding}>
            <h2 id="add-pool-heading" className="mb-4 text-lg font-semibold">
              Add a pool
            </h2>
            <AddPoolForm hosts={initial.map((h) => h.host)} />
          </section>
        </div>
      )}
      {initial.length === 0 && <p className="card text-sm">No hosts are configured.</p>}
      {initial.map((h) => (
        <HostPoolList key={h.host.id} initial={h} canManage={canManage} />
      ))}
    </div>
  );
}

"use client";

import { useId, useState } from "react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { Fact } from "@/app/_components/fact";
import { CheckboxField, TextField } from "@/app/_components/form-fields";
import { formatBytes } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import { ResourceActions, useLifecycle } from "@/app/_components/host-resources/resource-actions";

export type Pool = inferRouterOutputs<AppRouter>["storage"]["pools"][number];
type HostPool = Extract<Pool, { scope: "host" }>;

const STATE_TONE: Record<Pool["state"], string> = {
  running: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  building: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  degraded: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  inaccessible: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  inactive: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
  unknown: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
};

export function PoolStateBadge({ state }: { state: Pool["state"] }) {
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${STATE_TONE[state]}`}>{state}</span>;
}

/** The bar is decoration; the sentence beside it says the same for everyone. */
export function UsageBar({ pool }: { pool: Pool }) {
  if (pool.scope !== "host") {
    return (
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Only the volumes of your VMs are shown; the pool&apos;s size and usage are for users who see the whole host.
      </p>
    );
  }
  if (!pool.active || pool.capacityBytes <= 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">Usage unknown while the pool is not running.</p>;
  }
  const percent = Math.min(100, Math.max(0, (pool.allocationBytes / pool.capacityBytes) * 100));
  const tone = percent >= 90 ? "bg-red-600" : percent >= 75 ? "bg-amber-500" : "bg-sky-600";
  return (
    <div className="space-y-1">
      <div className="h-2 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-800" aria-hidden="true">
        <div className={`h-full ${tone}`} style={{ width: `${percent}%` }} />
      </div>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {formatBytes(pool.allocationBytes)} used of {formatBytes(pool.capacityBytes)} ({percent.toFixed(0)} %), {formatBytes(pool.availableBytes)} free
      </p>
    </div>
  );
}

function describeSource(pool: HostPool): string | null {
  const { host, dir, devices, name } = pool.source;
  if (pool.type === "netfs" && host) return `${host}:${dir ?? "?"}${pool.source.format ? ` (${pool.source.format})` : ""}`;
  if (pool.type === "logical") return [name && `VG ${name}`, devices.length ? devices.join(", ") : null].filter(Boolean).join(" on ") || null;
  return null;
}

const DELETE_DATA_LABEL: Record<string, string> = {
  dir: "Also delete its directory on the host",
  netfs: "Also delete its mount directory on the host",
  logical: "Also delete the volume group",
};

/**
 * Checks first, then acts: the volumes that would go are listed, and deleting the data of a pool
 * that holds volumes needs "delete the volumes too" ticked (the server refuses otherwise, before
 * stopping anything). Whatever the outcome, the pool is read again, so its state is the real one.
 */
function DeletePool({ pool, onCancel, onDeleted, onSettled }: { pool: Pool; onCancel: () => void; onDeleted: () => void; onSettled: () => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [typed, setTyped] = useState("");
  const [deleteData, setDeleteData] = useState(false);
  const [deleteVolumes, setDeleteVolumes] = useState(false);
  const remove = useMutation(trpc.storage.deletePool.mutationOptions({ onSuccess: onDeleted, onError: onSettled }));
  // Only a running pool can list its volumes.
  const volumes = useQuery({ ...trpc.storage.volumes.queryOptions({ hostId: pool.hostId, pool: pool.name }), enabled: pool.active && pool.scope === "host" });
  const names = volumes.data?.map((v) => v.name) ?? [];
  const needsVolumes = deleteData && names.length > 0;
  return (
    <ConfirmDelete
      what={`pool ${pool.name}`}
      confirmLabel="Delete pool"
      mutation={remove}
      // Deleting cannot be undone: the name typed back proves this is the pool meant.
      ready={typed === pool.name && (!needsVolumes || deleteVolumes) && !(deleteData && pool.active && !volumes.data)}
      onConfirm={() => remove.mutate({ hostId: pool.hostId, pool: pool.name, deleteData, deleteVolumes: needsVolumes && deleteVolumes })}
      onCancel={onCancel}
    >
      <p className="text-sm">Deleting stops the pool and removes its definition. Volumes stay on disk unless you delete the data too.</p>
      {pool.active && volumes.data && (
        <div className="text-sm">
          {names.length === 0 ? (
            <p>The pool holds no volumes.</p>
          ) : (
            <>
              <p id={`${id}-volumes`}>
                It holds {names.length} volume{names.length === 1 ? "" : "s"}:
              </p>
              <ul aria-labelledby={`${id}-volumes`} className="ml-4 list-disc break-all font-mono text-xs">
                {names.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {volumes.error && <p className="text-sm text-red-700 dark:text-red-300">Its volumes could not be listed: {volumes.error.message}</p>}
      <TextField
        id={`${id}-confirm`}
        label={
          <>
            Type the pool&apos;s name (<span className="break-all font-mono">{pool.name}</span>) to confirm
          </>
        }
        name="confirmName"
        autoComplete="off"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
      />
      {DELETE_DATA_LABEL[pool.type] && (
        <CheckboxField
          id={`${id}-data`}
          name="deleteData"
          label={DELETE_DATA_LABEL[pool.type]}
          checked={deleteData}
          onChange={(e) => setDeleteData(e.target.checked)}
        />
      )}
      {needsVolumes && (
        <CheckboxField
          id={`${id}-volumes-too`}
          name="deleteVolumes"
          checked={deleteVolumes}
          onChange={(e) => setDeleteVolumes(e.target.checked)}
          label={`Delete its ${names.length} volume${names.length === 1 ? "" : "s"} too (their data is lost; a volume a VM uses is never deleted)`}
        />
      )}
      {needsVolumes && !deleteVolumes && (
        <p className="text-sm text-amber-800 dark:text-amber-300">
          The directory can only go once it is empty: tick “Delete its volumes too”, or delete them first.
        </p>
      )}
      {!pool.active && deleteData && (
        <p className="text-sm text-slate-600 dark:text-slate-400">
          The pool is stopped, so its volumes cannot be listed: deleting its data fails if it still holds any.
        </p>
      )}
    </ConfirmDelete>
  );
}

/**
 * One pool: its facts, usage and (for managers) the actions on it. On the pool's own page
 * (`detail`) there is no link to itself, and deleting it leads back to the list.
 */
export function PoolCard({ pool, canManage, detail = false, as: Tag = "li" }: { pool: Pool; canManage: boolean; detail?: boolean; as?: "li" | "section" }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const hydrated = useHydrated();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.storage.pathKey() });
  const ref = { hostId: pool.hostId, pool: pool.name };
  const lifecycle = useLifecycle(
    ref,
    invalidate,
    trpc.storage.startPool.mutationOptions(),
    trpc.storage.stopPool.mutationOptions(),
    trpc.storage.setPoolAutostart.mutationOptions(),
  );
  const toasts = useToasts();
  const refresh = useMutation(
    trpc.storage.refreshPool.mutationOptions({
      onSuccess: () => toasts.success(`pool ${pool.hostId}/${pool.name}`, `Pool ${pool.name} refreshed.`),
      onSettled: invalidate,
    }),
  );
  const source = pool.scope === "host" ? describeSource(pool) : null;
  const sizes = pool.scope === "host" && pool.active ? pool : null;

  function onDeleted() {
    if (detail) router.push("/storage");
    else void invalidate();
  }

  return (
    <Tag className="card min-w-0 space-y-3" aria-label={`Pool ${pool.name}`}>
      <div className="flex flex-wrap items-center gap-2">
        {detail ? (
          <span className="min-w-0 break-all text-base font-semibold">{pool.name}</span>
        ) : (
          <Link
            href={`/storage/${encodeURIComponent(pool.hostId)}/${encodeURIComponent(pool.name)}`}
            className="min-w-0 break-all text-base font-semibold text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
          >
            {pool.name}
          </Link>
        )}
        <PoolStateBadge state={pool.state} />
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{pool.type}</span>
        {pool.autostart && <span className="text-xs text-slate-500 dark:text-slate-400">autostart</span>}
      </div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <Fact label="Capacity">{sizes ? formatBytes(sizes.capacityBytes) : "—"}</Fact>
        <Fact label="Allocation">{sizes ? formatBytes(sizes.allocationBytes) : "—"}</Fact>
        <Fact label="Available">{sizes ? formatBytes(sizes.availableBytes) : "—"}</Fact>
        {pool.scope === "host" && pool.targetPath && (
          <Fact label="Path" wide className="break-all font-mono text-xs">
            {pool.targetPath}
          </Fact>
        )}
        {source && (
          <Fact label="Source" wide className="break-all font-mono text-xs">
            {source}
          </Fact>
        )}
      </dl>
      <UsageBar pool={pool} />
      <ResourceActions
        noun="pool"
        item={pool}
        canManage={canManage}
        lifecycle={lifecycle}
        others={[refresh]}
        confirmDelete={(close) => <DeletePool pool={pool} onCancel={close} onDeleted={onDeleted} onSettled={() => void invalidate()} />}
      >
        {canManage && pool.active && (
          <button type="button" className="btn btn-secondary" disabled={!hydrated || refresh.isPending} onClick={() => refresh.mutate(ref)}>
            Refresh
          </button>
        )}
      </ResourceActions>
    </Tag>
  );
}

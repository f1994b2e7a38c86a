"use client";

import { useId, useState } from "react";
import { Link } from "@/app/_components/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useTranslations } from "next-intl";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { Fact } from "@/app/_components/fact";
import { CheckboxField, TextField } from "@/app/_components/form-fields";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import { ResourceActions, useLifecycle } from "@/app/_components/host-resources/resource-actions";

export type Pool = inferRouterOutputs<AppRouter>["storage"]["pools"][number];
type HostPool = Extract<Pool, { scope: "host" }>;
type T = ReturnType<typeof useTranslations<"storage">>;

const STATE_TONE: Record<Pool["state"], string> = {
  running: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  building: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  degraded: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  inaccessible: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  inactive: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
  unknown: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
};

export function PoolStateBadge({ state }: { state: Pool["state"] }) {
  const t = useTranslations("storage.pool.state");
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${STATE_TONE[state]}`}>{t(state)}</span>;
}

/** The bar is decoration; the sentence beside it says the same for everyone. */
export function UsageBar({ pool }: { pool: Pool }) {
  const t = useTranslations("storage.pool");
  const f = useFormat();
  if (pool.scope !== "host") {
    return <p className="text-sm text-slate-600 dark:text-slate-400">{t("usageHidden")}</p>;
  }
  if (!pool.active || pool.capacityBytes <= 0) {
    return <p className="text-sm text-slate-600 dark:text-slate-400">{t("usageUnknown")}</p>;
  }
  const percent = Math.min(100, Math.max(0, (pool.allocationBytes / pool.capacityBytes) * 100));
  const tone = percent >= 90 ? "bg-red-600" : percent >= 75 ? "bg-amber-500" : "bg-sky-600";
  return (
    <div className="space-y-1">
      <div className="h-2 w-full overflow-hidden rounded bg-slate-200 dark:bg-slate-800" aria-hidden="true">
        <div className={`h-full ${tone}`} style={{ width: `${percent}%` }} />
      </div>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {t("usage", {
          used: f.bytes(pool.allocationBytes),
          capacity: f.bytes(pool.capacityBytes),
          percent: f.number(percent),
          free: f.bytes(pool.availableBytes),
        })}
      </p>
    </div>
  );
}

/** Where a pool's data comes from: a share's address is shown as libvirt has it; a volume group and its devices in words. */
function describeSource(pool: HostPool, t: T): { text: string; verbatim: boolean } | null {
  const { host, dir, devices, name } = pool.source;
  if (pool.type === "netfs" && host) return { text: `${host}:${dir ?? "?"}${pool.source.format ? ` (${pool.source.format})` : ""}`, verbatim: true };
  if (pool.type !== "logical") return null;
  const list = devices.join(", ");
  if (name && list) return { text: t("pool.sourceVgOnDevices", { vg: name, devices: list }), verbatim: false };
  if (name) return { text: t("pool.sourceVg", { vg: name }), verbatim: false };
  return list ? { text: list, verbatim: true } : null;
}

/** The pool types whose data deleting can remove, with the box that asks for it. */
const DELETES_DATA = ["dir", "netfs", "logical"] as const;
type DeletesData = (typeof DELETES_DATA)[number];
const deletesData = (type: string): type is DeletesData => (DELETES_DATA as readonly string[]).includes(type);

/**
 * Checks first, then acts: the volumes that would go are listed, and deleting the data of a pool
 * that holds volumes needs "delete the volumes too" ticked (the server refuses otherwise, before
 * stopping anything). Whatever the outcome, the pool is read again, so its state is the real one.
 */
function DeletePool({ pool, onCancel, onDeleted, onSettled }: { pool: Pool; onCancel: () => void; onDeleted: () => void; onSettled: () => void }) {
  const t = useTranslations("storage.deletePool");
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
      what={t("what", { name: pool.name })}
      confirmLabel={t("confirm")}
      mutation={remove}
      // Deleting cannot be undone: the name typed back proves this is the pool meant.
      ready={typed === pool.name && (!needsVolumes || deleteVolumes) && !(deleteData && pool.active && !volumes.data)}
      onConfirm={() => remove.mutate({ hostId: pool.hostId, pool: pool.name, deleteData, deleteVolumes: needsVolumes && deleteVolumes })}
      onCancel={onCancel}
    >
      <p className="text-sm">{t("intro")}</p>
      {pool.active && volumes.data && (
        <div className="text-sm">
          {names.length === 0 ? (
            <p>{t("noVolumes")}</p>
          ) : (
            <>
              <p id={`${id}-volumes`}>{t("holds", { count: names.length })}</p>
              <ul aria-labelledby={`${id}-volumes`} className="ml-4 list-disc break-all font-mono text-xs" translate="no">
                {names.map((n) => (
                  <li key={n}>{n}</li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {volumes.error && (
        <p className="text-sm text-red-700 dark:text-red-300">
          {t.rich("listFailed", { error: volumes.error.message, server: (chunks) => <span translate="no">{chunks}</span> })}
        </p>
      )}
      <TextField
        id={`${id}-confirm`}
        label={t.rich("typeName", {
          name: pool.name,
          code: (chunks) => (
            <span className="break-all font-mono" translate="no">
              {chunks}
            </span>
          ),
        })}
        name="confirmName"
        autoComplete="off"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
      />
      {deletesData(pool.type) && (
        <CheckboxField
          id={`${id}-data`}
          name="deleteData"
          label={t(`deleteData.${pool.type}`)}
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
          label={t("deleteVolumes", { count: names.length })}
        />
      )}
      {needsVolumes && !deleteVolumes && <p className="text-sm text-amber-800 dark:text-amber-300">{t("mustBeEmpty")}</p>}
      {!pool.active && deleteData && <p className="text-sm text-slate-600 dark:text-slate-400">{t("stoppedPool")}</p>}
    </ConfirmDelete>
  );
}

/**
 * One pool: its facts, usage and (for managers) the actions on it. On the pool's own page
 * (`detail`) there is no link to itself, and deleting it leads back to the list.
 */
export function PoolCard({ pool, canManage, detail = false, as: Tag = "li" }: { pool: Pool; canManage: boolean; detail?: boolean; as?: "li" | "section" }) {
  const t = useTranslations("storage");
  const f = useFormat();
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
      onSuccess: () => toasts.success(`pool ${pool.hostId}/${pool.name}`, t("pool.refreshed", { name: pool.name })),
      onSettled: invalidate,
    }),
  );
  const source = pool.scope === "host" ? describeSource(pool, t) : null;
  const sizes = pool.scope === "host" && pool.active ? pool : null;

  function onDeleted() {
    if (detail) router.push("/storage");
    else void invalidate();
  }

  return (
    <Tag className="card min-w-0 space-y-3" aria-label={t("pool.ariaLabel", { name: pool.name })}>
      <div className="flex flex-wrap items-center gap-2">
        {detail ? (
          <span className="min-w-0 break-all text-base font-semibold" translate="no">
            {pool.name}
          </span>
        ) : (
          <Link
            href={`/storage/${encodeURIComponent(pool.hostId)}/${encodeURIComponent(pool.name)}`}
            className="inline-flex min-h-11 min-w-0 items-center break-all text-base font-semibold text-sky-800 underline-offset-2 hover:underline dark:text-sky-300"
            translate="no"
          >
            {pool.name}
          </Link>
        )}
        <PoolStateBadge state={pool.state} />
        {/* libvirt's name of the pool type, as virsh shows it. */}
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800" translate="no">
          {pool.type}
        </span>
        {pool.autostart && <span className="text-xs text-slate-500 dark:text-slate-400">{t("pool.autostart")}</span>}
      </div>
      <dl className="grid grid-cols-3 gap-2 text-sm">
        <Fact label={t("pool.capacity")}>{sizes ? f.bytes(sizes.capacityBytes) : "—"}</Fact>
        <Fact label={t("pool.allocation")}>{sizes ? f.bytes(sizes.allocationBytes) : "—"}</Fact>
        <Fact label={t("pool.available")}>{sizes ? f.bytes(sizes.availableBytes) : "—"}</Fact>
        {pool.scope === "host" && pool.targetPath && (
          <Fact label={t("pool.path")} wide className="break-all font-mono text-xs">
            <span translate="no">{pool.targetPath}</span>
          </Fact>
        )}
        {source && (
          <Fact label={t("pool.source")} wide className="break-all font-mono text-xs">
            {source.verbatim ? <span translate="no">{source.text}</span> : source.text}
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
            {t("pool.refresh")}
          </button>
        )}
      </ResourceActions>
    </Tag>
  );
}

"use client";

import { useState } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { CheckboxField, Field, Options, TextField } from "@/app/_components/form-fields";

export type Backup = inferRouterOutputs<AppRouter>["backups"]["list"][number];

export interface BackupAbilities {
  verify: boolean;
  restore: boolean;
  delete: boolean;
  /** Cancel a running backup's task (task.cancel; the server refuses another user's task without task.cancelAny). */
  cancel: boolean;
}

const STATE_TONE: Record<Backup["state"], string> = {
  running: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  succeeded: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  failed: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  cancelled: "bg-slate-200 text-slate-900 dark:bg-slate-700 dark:text-slate-100",
};

/**
 * Backups, newest first: all the user may see (/backups, or of one host's VMs with its host filter,
 * `hostId`) or one VM's (its page). Read again when a backup task moves, so a running backup turns
 * valid (or failed) and verification results appear.
 */
export function BackupList({
  initial,
  vm,
  hostId = null,
  can,
}: {
  initial: Backup[];
  vm?: { hostId: string; uuid: string };
  hostId?: string | null;
  can: BackupAbilities;
}) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.backups.list.queryOptions({ vm, limit: 200, ...(hostId === null ? {} : { hostId }) });
  const list = useQuery({ ...options, initialData: initial });
  useLiveEvent("task", (event) => {
    if (event.task.kind.startsWith("backup.")) void queryClient.invalidateQueries({ queryKey: options.queryKey });
  });
  const [restoring, setRestoring] = useState<Backup | null>(null);
  const [restoringOver, setRestoringOver] = useState<Backup | null>(null);
  const [deleting, setDeleting] = useState<Backup | null>(null);
  const [cancelling, setCancelling] = useState<Backup | null>(null);
  if (list.data.length === 0) return <p className="text-sm">{vm ? t("vmNone") : hostId !== null ? t("noneOnHost", { host: hostId }) : t("none")}</p>;
  return (
    <>
      <ol className="space-y-2" aria-label={t("listLabel")}>
        {list.data.map((b) => (
          <BackupItem
            key={b.id}
            backup={b}
            showVm={!vm}
            can={can}
            onRestore={() => setRestoring(b)}
            onRestoreOver={() => setRestoringOver(b)}
            onDelete={() => setDeleting(b)}
            onCancel={() => setCancelling(b)}
          />
        ))}
      </ol>
      {restoring && <RestoreDialog backup={restoring} onDone={() => setRestoring(null)} />}
      {restoringOver && <RestoreOverDialog backup={restoringOver} onDone={() => setRestoringOver(null)} />}
      {deleting && <DeleteDialog backup={deleting} onDone={() => setDeleting(null)} />}
      {cancelling && <CancelDialog backup={cancelling} onDone={() => setCancelling(null)} />}
    </>
  );
}

function BackupItem({
  backup: b,
  showVm,
  can,
  onRestore,
  onRestoreOver,
  onDelete,
  onCancel,
}: {
  backup: Backup;
  showVm: boolean;
  can: BackupAbilities;
  onRestore: () => void;
  onRestoreOver: () => void;
  onDelete: () => void;
  onCancel: () => void;
}) {
  const t = useTranslations("backups");
  const format = useFormat();
  const hydrated = useHydrated();
  const trpc = useTRPC();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const verify = useMutation(
    trpc.backups.verify.mutationOptions({
      onSuccess: (r) => {
        if (r.ok) toasts.success(`backup ${b.id}`, t("verify.passed", { id: b.id }));
        else toasts.error(`backup ${b.id}`, t("verify.problems", { id: b.id }), { label: t("columns.verified"), text: r.problems.join("\n") });
        void queryClient.invalidateQueries({ queryKey: trpc.backups.list.queryKey() });
      },
      onError: (err) => toasts.error(`backup ${b.id}`, err.message),
    }),
  );
  const valid = b.state === "succeeded";
  const consistency = b.consistency ?? "unknown";
  return (
    <li className="card space-y-1 text-sm" data-testid="backup" data-backup-id={b.id} data-backup-state={b.state} data-task-id={b.taskId ?? undefined}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${STATE_TONE[b.state]}`}>{t(`states.${b.state}`)}</span>
        <span className="font-medium">{t(`kinds.${b.kind}`)}</span>
        {showVm && (
          <Link href={`/vms/${encodeURIComponent(b.hostId)}/${b.vmUuid}`} className="inline-flex min-h-11 items-center underline" translate="no">
            {b.vmName}
          </Link>
        )}
        <span>{format.dateTime(b.startedAt)}</span>
        {b.bytes !== null && <span>{format.bytes(b.bytes)}</span>}
      </div>
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-3">
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("columns.consistency")}</dt>
          <dd title={b.consistencyReason ?? undefined}>
            <span data-testid="backup-consistency">{t(`consistency.${consistency}`)}</span>
            {b.consistencyReason && (
              <span className="block text-xs text-slate-600 dark:text-slate-400" translate="no">
                {b.consistencyReason}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("columns.verified")}</dt>
          <dd data-testid="backup-verified">
            {b.verifyState ? t(`verify.${b.verifyState}`, { time: format.dateTime(b.verifiedAt) }) : t("verify.never")}
            {b.verifyDetail && (
              <span className="block break-words text-xs text-red-800 dark:text-red-300" translate="no">
                {b.verifyDetail}
              </span>
            )}
          </dd>
        </div>
        {b.parentId && (
          <div>
            <dt className="text-xs text-slate-600 dark:text-slate-400">{t("columns.kind")}</dt>
            <dd translate="no">{t("parent", { id: b.parentId })}</dd>
          </div>
        )}
      </dl>
      {b.error && (
        <p className="break-words text-red-800 dark:text-red-300" translate="no">
          {b.error}
        </p>
      )}
      {valid && (can.verify || can.restore || can.delete) && (
        <div className="flex flex-wrap gap-2" role="group" aria-label={t("columns.actions")}>
          {can.verify && (
            <button type="button" className="btn btn-secondary" disabled={!hydrated || verify.isPending} onClick={() => verify.mutate({ id: b.id })}>
              {verify.isPending ? t("verify.running") : t("verify.button")}
            </button>
          )}
          {can.restore && (
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onRestore}>
              {t("restore.button")}
            </button>
          )}
          {can.restore && (
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onRestoreOver}>
              {t("restoreOver.button")}
            </button>
          )}
          {can.delete && (
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDelete}>
              {t("delete.button")}
            </button>
          )}
        </div>
      )}
      {b.state === "running" && can.cancel && b.taskId && (
        <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onCancel}>
          {t("cancel.button")}
        </button>
      )}
      {!valid && can.delete && b.state !== "running" && (
        <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDelete}>
          {t("delete.button")}
        </button>
      )}
    </li>
  );
}

function RestoreDialog({ backup, onDone }: { backup: Backup; onDone: () => void }) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const toasts = useToasts();
  const restore = useMutation(
    trpc.backups.restore.mutationOptions({
      onSuccess: (r) => {
        toasts.success(`backup ${backup.id}`, t("restore.done", { name: r.name }));
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("restore.title", { id: backup.id })}
      confirmLabel={t("restore.confirm")}
      pendingLabel={t("restore.pending")}
      danger={false}
      mutation={restore}
      onConfirm={(form) => restore.mutate({ id: backup.id, name: String(form.get("name") ?? ""), pool: String(form.get("pool") ?? "") })}
      onCancel={onDone}
    >
      <p>{t("restore.body")}</p>
      <Field id="restore-name" label={t("restore.name")}>
        <input id="restore-name" name="name" required className="input mt-1" defaultValue={`${backup.vmName}-restored`} autoComplete="off" />
      </Field>
      <Field id="restore-pool" label={t("restore.pool")}>
        <input id="restore-pool" name="pool" required className="input mt-1" defaultValue={backup.pool} autoComplete="off" />
      </Field>
    </ConfirmDialog>
  );
}

/**
 * Restore over the VM the backup was taken of: its disks are replaced by the backup's contents. The
 * VM's name typed back proves it is the VM meant; the server checks the name and that it is shut off.
 */
function RestoreOverDialog({ backup, onDone }: { backup: Backup; onDone: () => void }) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const toasts = useToasts();
  const [typed, setTyped] = useState("");
  const restore = useMutation(
    trpc.backups.restoreOver.mutationOptions({
      onSuccess: () => {
        toasts.success(`backup ${backup.id}`, t("restoreOver.done", { id: backup.id, vm: backup.vmName }));
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("restoreOver.title", { id: backup.id, vm: backup.vmName })}
      confirmLabel={t("restoreOver.confirm")}
      pendingLabel={t("restoreOver.pending")}
      mutation={restore}
      ready={typed === backup.vmName}
      onConfirm={() => restore.mutate({ hostId: backup.hostId, uuid: backup.vmUuid, id: backup.id, confirmName: typed })}
      onCancel={onDone}
    >
      <p>{t("restoreOver.body")}</p>
      <p>
        {t.rich("restoreOver.ask", {
          name: backup.vmName,
          verbatim: (chunks) => (
            <span translate="no" className="break-all font-mono">
              {chunks}
            </span>
          ),
        })}
      </p>
      <TextField
        id="restore-over-name"
        label={t("restoreOver.nameLabel")}
        name="confirmName"
        autoComplete="off"
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
      />
    </ConfirmDialog>
  );
}

/** Stops a running backup through its task; the service removes what it wrote and marks it cancelled. */
function CancelDialog({ backup, onDone }: { backup: Backup; onDone: () => void }) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const toasts = useToasts();
  const cancel = useMutation(
    trpc.tasks.cancel.mutationOptions({
      onSuccess: () => {
        toasts.success(`backup ${backup.id}`, t("cancel.requested", { vm: backup.vmName }));
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("cancel.title", { vm: backup.vmName })}
      confirmLabel={t("cancel.confirm")}
      pendingLabel={t("cancel.pending")}
      danger={false}
      mutation={cancel}
      onConfirm={() => cancel.mutate({ id: backup.taskId! })}
      onCancel={onDone}
    >
      <p>{t("cancel.body")}</p>
    </ConfirmDialog>
  );
}

function DeleteDialog({ backup, onDone }: { backup: Backup; onDone: () => void }) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.backups.delete.mutationOptions({
      onSuccess: () => {
        toasts.success(`backup ${backup.id}`, t("delete.done", { id: backup.id }));
        void queryClient.invalidateQueries({ queryKey: trpc.backups.list.queryKey() });
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("delete.title", { id: backup.id, vm: backup.vmName })}
      confirmLabel={t("delete.confirm")}
      pendingLabel={t("delete.pending")}
      mutation={remove}
      onConfirm={() => remove.mutate({ id: backup.id })}
      onCancel={onDone}
    >
      <p>{t("delete.body")}</p>
    </ConfirmDialog>
  );
}

/** "Back up now" on a VM's page: starts the backup (a task) and says so; the list follows the task. */
export function BackUpNow({ hostId, uuid, vmName, pools }: { hostId: string; uuid: string; vmName: string; pools: string[] }) {
  const t = useTranslations("backups");
  const trpc = useTRPC();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const queryClient = useQueryClient();
  const start = useMutation(
    trpc.backups.create.mutationOptions({
      onSuccess: () => {
        toasts.success(`backup ${hostId}/${uuid}`, t("started", { vm: vmName }));
        void queryClient.invalidateQueries({ queryKey: trpc.backups.list.queryKey() });
      },
    }),
  );
  const [pool, setPool] = useState(pools[0] ?? "");
  const [full, setFull] = useState(false);
  const [bandwidth, setBandwidth] = useState("");
  if (pools.length === 0) return <p className="text-sm">{t("noTarget")}</p>;
  // Empty: no limit. Otherwise whole MiB/s from 1 (the browser's number field keeps to that; the server checks it again).
  const limit = bandwidth.trim() === "" ? undefined : Number(bandwidth);
  const limitValid = limit === undefined || (Number.isInteger(limit) && limit >= 1 && limit <= 1_000_000);
  return (
    <div className="space-y-1">
      <div className="flex flex-wrap items-start gap-x-4 gap-y-2">
        {pools.length > 1 && (
          <Field id="backup-now-pool" label={t("target")}>
            <select id="backup-now-pool" className="input mt-1" value={pool} onChange={(e) => setPool(e.target.value)}>
              <Options choices={pools.map((p) => ({ value: p, label: p }))} />
            </select>
          </Field>
        )}
        <TextField
          id="backup-now-bandwidth"
          label={t("bandwidth")}
          hint={t("bandwidthHint")}
          error={limitValid ? null : t("bandwidthInvalid")}
          type="number"
          inputMode="numeric"
          min={1}
          max={1_000_000}
          step={1}
          className="w-full max-w-xs"
          // Typed before the page is live it would be lost, and the backup would run unlimited.
          disabled={!hydrated}
          value={bandwidth}
          onChange={(e) => setBandwidth(e.target.value)}
        />
      </div>
      <CheckboxField id="backup-now-full" label={t("full")} disabled={!hydrated} checked={full} onChange={(e) => setFull(e.target.checked)} />
      <div>
        <button
          type="button"
          className="btn btn-primary"
          disabled={!hydrated || start.isPending || !limitValid}
          onClick={() => start.mutate({ hostId, uuid, pool, full, bandwidthMiBs: limit })}
        >
          {start.isPending ? t("backingUp") : t("backUpNow")}
        </button>
      </div>
      {start.error && (
        <p className="text-sm text-red-800 dark:text-red-300" role="alert">
          {start.error.message}
        </p>
      )}
    </div>
  );
}

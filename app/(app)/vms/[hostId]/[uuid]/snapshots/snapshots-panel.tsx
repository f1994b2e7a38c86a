"use client";

import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { TextField } from "@/app/_components/form-fields";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { snapshotChoice, type SnapshotDiskFacts, type SnapshotReason } from "@/server/snapshots/choices";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { useToasts } from "@/app/_components/toasts";

type SnapshotsT = ReturnType<typeof useTranslations<"vmSnapshots">>;

const STATES = ["running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"] as const;

/** libvirt's state of the VM when the snapshot was taken, in words; one libvirt adds later stays as it says it. */
function stateWords(t: SnapshotsT, state: string): string {
  return (STATES as readonly string[]).includes(state) ? t(`state.${state as (typeof STATES)[number]}`) : state;
}

/** Why only this kind of snapshot can be taken now (or none), in the page's language. */
function reasonWords(t: SnapshotsT, reason: SnapshotReason): string {
  if (reason.code !== "notQcow2") return t(`reason.${reason.code}`);
  const list = reason.disks.map((d) => t("reason.notQcow2Disk", { target: d.target, format: d.format ?? "none" })).join(", ");
  return t("reason.notQcow2", { list });
}

export function SnapshotsPanel({
  hostId,
  uuid,
  running,
  disks,
  canManage,
}: {
  hostId: string;
  uuid: string;
  running: boolean;
  disks: readonly SnapshotDiskFacts[];
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const vmCache = useVmCache();
  const hydrated = useHydrated();
  const toasts = useToasts();
  const t = useTranslations("vmSnapshots");
  const f = useFormat();
  const ref = { hostId, uuid };
  const [asking, setAsking] = useState<{ action: "revert" | "delete"; snapshot: string } | null>(null);
  const list = useQuery(trpc.snapshots.list.queryOptions(ref));
  // Each answer names one snapshot, not where the tree puts it or which is current: this VM's list is read again.
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.snapshots.list.queryKey(ref) });
  const create = useMutation(
    trpc.snapshots.create.mutationOptions({
      onSuccess: (_made, { name }) => {
        toasts.success(`snapshot ${hostId}/${uuid}`, t("take.done", { name }));
        return refresh();
      },
    }),
  );
  const revert = useMutation(
    trpc.snapshots.revert.mutationOptions({
      onSuccess: ({ state }, { snapshot }) => {
        void refresh();
        // The VM's state after the revert is in the answer; a changed definition comes as a live event.
        vmCache.setState(ref, state);
        setAsking(null);
        toasts.success(`snapshot ${hostId}/${uuid}`, t("revert.done", { name: snapshot }));
      },
    }),
  );
  const remove = useMutation(
    trpc.snapshots.delete.mutationOptions({
      onSuccess: (_, { snapshot }) => {
        void refresh();
        setAsking(null);
        toasts.success(`snapshot ${hostId}/${uuid}`, t("delete.done", { name: snapshot }));
      },
    }),
  );
  const busy = create.isPending || revert.isPending || remove.isPending;
  // Only what can later be reverted and deleted is offered (see server/snapshots/choices.ts).
  const choice = snapshotChoice(running, disks);

  function onCreate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formEl = event.currentTarget;
    const form = new FormData(formEl);
    create.mutate(
      {
        ...ref,
        name: String(form.get("snapshotName")),
        description: String(form.get("snapshotDescription") ?? "") || undefined,
        memory: choice.kind === "memory",
      },
      { onSuccess: () => formEl.reset() },
    );
  }

  const error = list.error?.message ?? create.error?.message ?? null;
  return (
    <div className="space-y-3">
      <FormStatus error={error} />
      {list.data && list.data.snapshots.length === 0 && <p className="text-sm">{t("none")}</p>}
      <ul className="space-y-2" aria-label={t("list")}>
        {list.data?.snapshots.map((s) => (
          <li
            key={s.name}
            className="rounded-md border border-slate-200 p-2 text-sm dark:border-slate-800"
            style={{ marginLeft: `${Math.min(s.depth, 4) * 0.75}rem` }}
            aria-label={t("item", { name: s.name })}
          >
            <div className="flex flex-wrap items-center gap-2">
              <span translate="no" className="break-all font-medium">
                {s.name}
              </span>
              {s.current && <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs dark:bg-sky-900/50">{t("current")}</span>}
              <span className="text-xs text-slate-500 dark:text-slate-400">
                {t("meta", { state: stateWords(t, s.state), memory: s.memory === "internal" ? "internal" : "none", time: f.dateTime(s.createdAt) })}
              </span>
            </div>
            <p className={s.consistency === "crash" ? "mt-1 text-xs text-amber-700 dark:text-amber-400" : "mt-1 text-xs text-slate-500 dark:text-slate-400"}>
              {t(`consistency.${s.consistency}`)}
            </p>
            {s.description && (
              <p translate="no" className="mt-1 break-words text-slate-600 dark:text-slate-400">
                {s.description}
              </p>
            )}
            {canManage && (
              <div className="mt-2 flex flex-wrap gap-2">
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={!hydrated || busy}
                  onClick={() => setAsking({ action: "revert", snapshot: s.name })}
                >
                  {t("revert.open")}
                </button>
                <button
                  type="button"
                  className="btn btn-secondary"
                  disabled={!hydrated || busy}
                  onClick={() => setAsking({ action: "delete", snapshot: s.name })}
                >
                  {t("delete.open")}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {asking?.action === "revert" && (
        <ConfirmDialog
          title={
            <span className="break-all">{t.rich("revert.title", { name: asking.snapshot, verbatim: (chunks) => <span translate="no">{chunks}</span> })}</span>
          }
          confirmLabel={t("revert.confirm")}
          pendingLabel={t("revert.pending")}
          mutation={revert}
          onConfirm={() => revert.mutate({ ...ref, snapshot: asking.snapshot })}
          onCancel={() => setAsking(null)}
        >
          <p>{t("revert.explain")}</p>
        </ConfirmDialog>
      )}
      {asking?.action === "delete" && (
        <ConfirmDelete
          what={t("delete.what", { name: asking.snapshot })}
          confirmLabel={t("delete.confirm")}
          mutation={remove}
          onConfirm={() => remove.mutate({ ...ref, snapshot: asking.snapshot })}
          onCancel={() => setAsking(null)}
        >
          <p>{t("delete.explain")}</p>
        </ConfirmDelete>
      )}
      {canManage && (
        <form onSubmit={onCreate} method="post" className="space-y-2 border-t border-slate-200 pt-3 dark:border-slate-800">
          <TextField id="snapshotName" label={t("take.nameLabel")} name="snapshotName" required autoComplete="off" />
          <TextField id="snapshotDescription" label={t("take.descriptionLabel")} name="snapshotDescription" autoComplete="off" />
          <p id="snapshot-kind" className="text-sm text-slate-600 dark:text-slate-400">
            {choice.kind && (
              <span className="font-medium text-slate-900 dark:text-slate-100">{choice.kind === "memory" ? t("take.memory") : t("take.disk")} </span>
            )}
            {reasonWords(t, choice.reason)}
          </p>
          <button type="submit" className="btn btn-primary" aria-describedby="snapshot-kind" disabled={!hydrated || busy || choice.kind === null}>
            {create.isPending ? t("take.pending") : t("take.submit")}
          </button>
        </form>
      )}
    </div>
  );
}

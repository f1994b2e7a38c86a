"use client";

import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, Options } from "@/app/_components/form-fields";

type Target = inferRouterOutputs<AppRouter>["backups"]["targets"][number];

/** The pools backups go to; admins mark a pool (by host and name) or stop using one, with one confirmation. */
export function BackupTargets({ initial, hosts, canManage }: { initial: Target[]; hosts: { id: string; name: string }[]; canManage: boolean }) {
  const t = useTranslations("backups.targets");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const targets = useQuery({ ...trpc.backups.targets.queryOptions(), initialData: initial });
  const add = useMutation(trpc.backups.setTarget.mutationOptions({ onSuccess: () => void targets.refetch() }));
  const [removing, setRemoving] = useState<Target | null>(null);
  const remove = useMutation(
    trpc.backups.removeTarget.mutationOptions({
      onSuccess: () => {
        setRemoving(null);
        void targets.refetch();
      },
    }),
  );
  return (
    <section className="card space-y-3" aria-labelledby="backup-targets">
      <h2 id="backup-targets" className="text-lg font-semibold">
        {t("title")}
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("help")}</p>
      {targets.data.length === 0 ? (
        <p className="text-sm">{t("none")}</p>
      ) : (
        <ul className="space-y-1 text-sm">
          {targets.data.map((target) => (
            <li key={`${target.hostId}/${target.pool}`} className="flex flex-wrap items-center gap-2">
              <span translate="no">{t("item", { pool: target.pool, host: target.hostId })}</span>
              <span className="break-all text-xs text-slate-600 dark:text-slate-400" translate="no">
                {target.path}
              </span>
              {canManage && (
                <button type="button" className="btn btn-secondary ml-auto" disabled={!hydrated} onClick={() => setRemoving(target)}>
                  {t("remove")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && (
        <form
          className="grid grid-cols-1 gap-3 sm:grid-cols-3 sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            add.mutate({ hostId: String(form.get("hostId") ?? ""), pool: String(form.get("pool") ?? "") });
          }}
        >
          <Field id="backup-target-host" label={t("host")}>
            <select id="backup-target-host" name="hostId" className="input mt-1" defaultValue={hosts[0]?.id}>
              <Options choices={hosts.map((h) => ({ value: h.id, label: h.name }))} />
            </select>
          </Field>
          <Field id="backup-target-pool" label={t("pool")} error={add.error?.message ?? null}>
            <input id="backup-target-pool" name="pool" required className="input mt-1" autoComplete="off" />
          </Field>
          <button type="submit" className="btn btn-primary" disabled={!hydrated || add.isPending}>
            {add.isPending ? t("adding") : t("add")}
          </button>
        </form>
      )}
      {removing && (
        <ConfirmDialog
          title={t("removeTitle", { pool: removing.pool })}
          confirmLabel={t("remove")}
          pendingLabel={t("removing")}
          mutation={remove}
          onConfirm={() => remove.mutate({ hostId: removing.hostId, pool: removing.pool })}
          onCancel={() => setRemoving(null)}
        >
          <p>{t("removeBody")}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

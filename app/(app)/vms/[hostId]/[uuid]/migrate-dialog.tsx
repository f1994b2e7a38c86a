"use client";

import { useState } from "react";
import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { COPY_STORAGE, MAX_BANDWIDTH_MIBPS, MIGRATION_MODES, type MigrationOptions, type PreflightCheck } from "@/server/migration/contract";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useToasts } from "@/app/_components/toasts";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { CheckboxField, Field, Options, TextField } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import { migrationTargets } from "@/app/(app)/hosts/targets";
import { DEFAULT_CHOICES, parseBandwidth, type MigrationChoices as Choices } from "./migrate-options";

const STATUS_TONE: Record<PreflightCheck["status"], string> = {
  ok: "text-emerald-800 dark:text-emerald-300",
  warning: "text-amber-800 dark:text-amber-300",
  error: "text-red-800 dark:text-red-300",
};

function PreflightList({ checks }: { checks: PreflightCheck[] }) {
  const t = useTranslations("vmMigrate");
  return (
    <ul className="space-y-1" aria-label={t("preflight.label")}>
      {checks.map((check) => (
        <li key={check.id} data-testid={`preflight-${check.id}`} data-status={check.status} className="flex gap-2">
          <span className={`shrink-0 font-medium ${STATUS_TONE[check.status]}`}>{t(`status.${check.status}`)}</span>
          <span className="min-w-0 break-words">
            <span className="font-medium">{t(`checks.${check.id}`)}:</span> <span translate="no">{check.message}</span>
          </span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Moving a VM to another host: the destination, the options, and the pre-flight's findings, asked
 * again whenever a choice changes. Migrate stays off while a check is an error; once the task is
 * started the dialog closes and the VM's task line shows its progress.
 */
export function MigrateDialog({ hostId, uuid, name, onDone }: { hostId: string; uuid: string; name: string; onDone: () => void }) {
  const t = useTranslations("vmMigrate");
  const trpc = useTRPC();
  const toasts = useToasts();
  const hosts = useQuery(trpc.hosts.list.queryOptions());
  const targets = migrationTargets(hosts.data ?? [], hostId);
  const [dest, setDest] = useState("");
  const destHostId = dest || targets[0]?.id || "";
  const [choices, setChoices] = useState(DEFAULT_CHOICES);
  const [bandwidthText, setBandwidthText] = useState("");
  const bandwidth = parseBandwidth(bandwidthText);
  const options: MigrationOptions = { ...choices, destHostId, bandwidthMiBps: bandwidth.value };
  const preflight = useQuery({
    ...trpc.migration.preflight.queryOptions({ hostId, uuid, ...options }),
    enabled: destHostId !== "" && bandwidth.ok,
    placeholderData: keepPreviousData,
    staleTime: 0,
    retry: false,
  });
  const start = useMutation(trpc.migration.start.mutationOptions());
  const destName = targets.find((h) => h.id === destHostId)?.name ?? destHostId;
  const set = (change: Partial<Choices>) => setChoices((old) => ({ ...old, ...change }));
  const checked = preflight.data && !preflight.isPlaceholderData ? preflight.data : null;

  return (
    <ConfirmDialog
      title={t("title", { name })}
      confirmLabel={destHostId ? t("confirm", { dest: destName }) : t("confirmNoDest")}
      pendingLabel={t("starting")}
      danger={false}
      mutation={start}
      ready={checked?.ok === true && !preflight.isFetching}
      onConfirm={() =>
        start.mutate(
          { hostId, uuid, ...options },
          {
            onSuccess: () => {
              toasts.success(`migrate ${hostId}/${uuid}`, t("started", { name, dest: destName }));
              onDone();
            },
          },
        )
      }
      onCancel={onDone}
    >
      {hosts.isPending && <p>{t("loadingHosts")}</p>}
      {hosts.data && targets.length === 0 && <p role="alert">{t("noTarget")}</p>}
      {targets.length > 0 && (
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <Field id="migrate-dest" label={t("destination")} className="sm:col-span-2">
            <select id="migrate-dest" className="input mt-1" value={destHostId} onChange={(e) => setDest(e.target.value)}>
              <Options choices={targets.map((h) => ({ value: h.id, label: h.name }))} />
            </select>
          </Field>
          <Field id="migrate-mode" label={t("mode")} hint={t(`modeHint.${choices.mode}`)}>
            <select id="migrate-mode" className="input mt-1" value={choices.mode} onChange={(e) => set({ mode: e.target.value as Choices["mode"] })}>
              <Options choices={MIGRATION_MODES.map((value) => ({ value, label: t(`modes.${value}`) }))} />
            </select>
          </Field>
          <Field id="migrate-copy" label={t("copyStorage")} hint={t(`copyHint.${choices.copyStorage}`)}>
            <select
              id="migrate-copy"
              className="input mt-1"
              value={choices.copyStorage}
              onChange={(e) => set({ copyStorage: e.target.value as Choices["copyStorage"] })}
            >
              <Options choices={COPY_STORAGE.map((value) => ({ value, label: t(`copy.${value}`) }))} />
            </select>
          </Field>
          <TextField
            id="migrate-bandwidth"
            label={t("bandwidth")}
            hint={t("bandwidthHint")}
            error={bandwidth.ok ? null : t("bandwidthInvalid", { max: MAX_BANDWIDTH_MIBPS })}
            inputMode="numeric"
            value={bandwidthText}
            onChange={(e) => setBandwidthText(e.target.value)}
            autoComplete="off"
          />
          <div>
            <CheckboxField
              id="migrate-auto-converge"
              label={t("autoConverge")}
              checked={choices.autoConverge}
              onChange={(e) => set({ autoConverge: e.target.checked })}
            />
            <CheckboxField id="migrate-post-copy" label={t("postCopy")} checked={choices.postCopy} onChange={(e) => set({ postCopy: e.target.checked })} />
          </div>
        </div>
      )}
      {destHostId && (
        <section
          aria-label={t("preflight.label")}
          aria-busy={preflight.isFetching}
          className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700"
        >
          <h3 className="font-medium">{t("preflight.heading")}</h3>
          {preflight.isFetching && <p role="status">{t("preflight.checking")}</p>}
          {preflight.error && !preflight.isFetching && <FormStatus error={preflight.error.message} verbatim />}
          {preflight.data && <PreflightList checks={preflight.data.checks} />}
          {checked && <p className="text-xs text-slate-600 dark:text-slate-400">{checked.live ? t("preflight.live") : t("preflight.offline")}</p>}
          {checked && !checked.ok && <p className="font-medium text-red-800 dark:text-red-300">{t("preflight.refused")}</p>}
        </section>
      )}
    </ConfirmDialog>
  );
}

/** The VM page's Migrate button, for users with vm.migrate; the dialog is mounted only while open. */
export function MigrateButton({ hostId, uuid, name }: { hostId: string; uuid: string; name: string }) {
  const t = useTranslations("vmMigrate");
  const hydrated = useHydrated();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setOpen(true)}>
        {t("open")}
      </button>
      {open && <MigrateDialog hostId={hostId} uuid={uuid} name={name} onDone={() => setOpen(false)} />}
    </>
  );
}

"use client";

import { useState, type ReactNode } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { BatchAction } from "@/server/domains/batch";
import { NAME_PATTERN, type VmRef } from "@/server/identifiers";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { TextField } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";

type BatchResult = inferRouterOutputs<AppRouter>["vms"]["batch"][number];

/** The server takes at most this many VMs a request (MAX_BATCH_VMS); more are sent in turn. */
const CHUNK = 200;

/** VM and snapshot names inside a sentence: shown as they are, not words to translate. */
const keep = (names: ReactNode) => <span translate="no">{names}</span>;

/** The actions that ask first (their title and text are under batch.ask in the catalog), and whether each is dangerous. */
const ASK: Partial<Record<BatchAction, { danger: boolean }>> = {
  forceOff: { danger: true },
  shutdown: { danger: false },
  reboot: { danger: false },
  snapshot: { danger: false },
};

/**
 * The actions on the selected VMs, and what each VM answered. Force off, shut down, reboot and
 * snapshot ask once, naming how many VMs; each VM's result (done, or the error in words) is listed
 * after, and the list's rows take the states the answers give.
 */
export function BatchActions({
  selected,
  shown,
  onSelectAll,
  canPower,
  canSnapshot,
}: {
  /** The selected VMs that are shown, in the list's order. */
  selected: (VmRef & { name: string })[];
  shown: number;
  onSelectAll: (on: boolean) => void;
  canPower: boolean;
  canSnapshot: boolean;
}) {
  const t = useTranslations("vmList.batch");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const vmCache = useVmCache();
  const [asking, setAsking] = useState<BatchAction | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ action: BatchAction; results: BatchResult[] } | null>(null);
  const batch = useMutation(trpc.vms.batch.mutationOptions());

  async function run(action: BatchAction, snapshotName?: string) {
    const refs = selected.map(({ hostId, uuid }) => ({ hostId, uuid }));
    const results: BatchResult[] = [];
    try {
      for (let i = 0; i < refs.length; i += CHUNK) {
        results.push(...(await batch.mutateAsync({ vms: refs.slice(i, i + CHUNK), action, snapshotName })));
      }
    } catch {
      // The whole request was refused (the role, the connection): batch.error says so above the results so far.
    }
    for (const r of results) {
      if (r.ok && r.state) vmCache.setState(r, r.state);
      else if (!r.ok) vmCache.reread(r);
    }
    setAsking(null);
    setOutcome({ action, results });
  }

  function confirm(form: FormData) {
    if (asking !== "snapshot") return void run(asking!);
    const name = String(form.get("snapshotName") ?? "").trim();
    if (name && !NAME_PATTERN.test(name)) return setNameError(t("ask.snapshotNameInvalid"));
    setNameError(null);
    void run("snapshot", name || undefined);
  }

  const actions: BatchAction[] = [...(canPower ? (["start", "shutdown", "reboot", "forceOff"] as const) : []), ...(canSnapshot ? (["snapshot"] as const) : [])];
  const question = asking && ASK[asking] && asking !== "start" ? asking : null;
  const allShown = shown > 0 && selected.length === shown;
  const failed = outcome?.results.filter((r) => !r.ok).length ?? 0;
  const firstNames = selected
    .slice(0, 5)
    .map((vm) => vm.name)
    .join(", ");

  return (
    <div className="space-y-3">
      <div className="card flex flex-wrap items-center gap-2 py-2" role="group" aria-label={t("group")}>
        <label htmlFor="vm-select-all" className="flex min-h-11 items-center gap-2 text-sm">
          <input
            id="vm-select-all"
            type="checkbox"
            className="size-5"
            checked={allShown}
            disabled={!hydrated || shown === 0}
            onChange={(event) => onSelectAll(event.target.checked)}
          />
          {t("selectAll")}
        </label>
        <span className="mr-auto text-sm text-slate-600 dark:text-slate-400" aria-live="polite" data-testid="selected-count">
          {t("selectedCount", { count: selected.length })}
        </span>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={`btn ${action === "forceOff" ? "btn-secondary text-red-800 dark:text-red-300" : "btn-secondary"}`}
            disabled={!hydrated || selected.length === 0 || batch.isPending}
            onClick={() => (ASK[action] ? setAsking(action) : void run(action))}
          >
            {t(`actions.${action}`)}
            {ASK[action] && "…"}
          </button>
        ))}
      </div>
      {batch.isPending && !asking && (
        <p role="status" className="text-sm">
          {t("working", { count: selected.length })}
        </p>
      )}
      {asking && question && (
        <ConfirmDialog
          title={t(`ask.${question}.title`, { count: selected.length })}
          confirmLabel={t(`actions.${asking}`)}
          pendingLabel={`${t(`actions.${asking}`)}…`}
          danger={ASK[question]?.danger ?? false}
          // Each VM's failure is listed after the dialog closes; only the wait is shown here.
          mutation={{ isPending: batch.isPending, error: null }}
          onConfirm={confirm}
          onCancel={() => {
            setAsking(null);
            setNameError(null);
          }}
        >
          <p>{t(`ask.${question}.body`)}</p>
          <p className="break-words text-slate-600 dark:text-slate-400">
            {selected.length > 5 ? (
              t.rich("ask.namesAndMore", { names: firstNames, count: selected.length - 5, keep })
            ) : (
              <span translate="no">{firstNames}</span>
            )}
          </p>
          {asking === "snapshot" && (
            <TextField
              id="batch-snapshot-name"
              name="snapshotName"
              label={t("ask.snapshotName")}
              hint={t("ask.snapshotNameHint")}
              autoComplete="off"
              maxLength={64}
              error={nameError}
            />
          )}
        </ConfirmDialog>
      )}
      {batch.error && <FormStatus error={batch.error.message} />}
      {outcome && (
        <section aria-labelledby="batch-results-title" className="card space-y-2" aria-live="polite">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="batch-results-title" className="text-base font-semibold">
              {t("results.heading", {
                action: t(`actions.${outcome.action}`),
                done: outcome.results.length - failed,
                total: outcome.results.length,
                failed,
              })}
            </h2>
            <button type="button" className="btn btn-secondary" onClick={() => setOutcome(null)}>
              {t("results.dismiss")}
            </button>
          </div>
          <ul className="space-y-1 text-sm" aria-label={t("results.list")}>
            {outcome.results.map((r) => (
              <li key={`${r.hostId}/${r.uuid}`} className="break-words" data-ok={r.ok}>
                {r.ok ? (
                  <span>
                    {t.rich(`results.ok.${outcome.action}`, {
                      name: r.name ?? "",
                      snapshot: r.snapshot ?? "",
                      ok: (words) => <span className="font-semibold text-emerald-800 dark:text-emerald-300">{words}</span>,
                      keep,
                    })}
                  </span>
                ) : (
                  <span>
                    <span className="font-semibold text-red-800 dark:text-red-300">{t("results.failed")}</span>{" "}
                    <span translate="no">{r.explanation ? `${r.error} — ${r.explanation}` : r.error}</span>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

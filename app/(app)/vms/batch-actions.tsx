"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { BatchAction } from "@/server/domains/batch";
import { NAME_HINT, NAME_PATTERN, type VmRef } from "@/server/identifiers";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { TextField } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";

type BatchResult = inferRouterOutputs<AppRouter>["vms"]["batch"][number];

/** The server takes at most this many VMs a request (MAX_BATCH_VMS); more are sent in turn. */
const CHUNK = 200;

const LABEL: Record<BatchAction, string> = {
  start: "Start",
  shutdown: "Shut down",
  forceOff: "Force off",
  reboot: "Reboot",
  snapshot: "Snapshot",
};

/** What an ok result says, per action. */
const DONE: Record<BatchAction, (r: BatchResult) => string> = {
  start: () => "started",
  shutdown: () => "asked to shut down",
  forceOff: () => "forced off",
  reboot: () => "asked to reboot",
  snapshot: (r) => `snapshot "${r.snapshot}" taken`,
};

const vms = (n: number) => (n === 1 ? "1 VM" : `${n} VMs`);

interface Question {
  title: (n: number) => string;
  body: string;
  danger: boolean;
}

const ASK: Partial<Record<BatchAction, Question>> = {
  forceOff: {
    title: (n) => `Force off ${vms(n)}?`,
    body: "Force off cuts the power of each at once, like pulling the plug: anything a guest has not saved is lost, and its file systems may need a check.",
    danger: true,
  },
  shutdown: {
    title: (n) => `Shut down ${vms(n)}?`,
    body: "Each guest is asked to shut down cleanly (ACPI power button); its services and users are stopped.",
    danger: false,
  },
  reboot: {
    title: (n) => `Reboot ${vms(n)}?`,
    body: "Each guest is asked to restart cleanly (ACPI power button); its services are down until it is back.",
    danger: false,
  },
  snapshot: {
    title: (n) => `Take a snapshot of ${vms(n)}?`,
    body: "Each VM gets an internal snapshot with this name; a running VM's snapshot holds its memory too. Every disk must be qcow2.",
    danger: false,
  },
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
    if (name && !NAME_PATTERN.test(name)) return setNameError(`A snapshot name is ${NAME_HINT}.`);
    setNameError(null);
    void run("snapshot", name || undefined);
  }

  const actions: BatchAction[] = [...(canPower ? (["start", "shutdown", "reboot", "forceOff"] as const) : []), ...(canSnapshot ? (["snapshot"] as const) : [])];
  const question = asking && ASK[asking];
  const allShown = shown > 0 && selected.length === shown;
  const failed = outcome?.results.filter((r) => !r.ok).length ?? 0;

  return (
    <div className="space-y-3">
      <div className="card flex flex-wrap items-center gap-2 py-2" role="group" aria-label="Act on the selected VMs">
        <label htmlFor="vm-select-all" className="flex min-h-11 items-center gap-2 text-sm">
          <input
            id="vm-select-all"
            type="checkbox"
            className="size-5"
            checked={allShown}
            disabled={!hydrated || shown === 0}
            onChange={(event) => onSelectAll(event.target.checked)}
          />
          Select all shown
        </label>
        <span className="mr-auto text-sm text-slate-600 dark:text-slate-400" aria-live="polite" data-testid="selected-count">
          {selected.length} selected
        </span>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={`btn ${action === "forceOff" ? "btn-secondary text-red-800 dark:text-red-300" : "btn-secondary"}`}
            disabled={!hydrated || selected.length === 0 || batch.isPending}
            onClick={() => (ASK[action] ? setAsking(action) : void run(action))}
          >
            {LABEL[action]}
            {ASK[action] && "…"}
          </button>
        ))}
      </div>
      {batch.isPending && !asking && (
        <p role="status" className="text-sm">
          Working on {vms(selected.length)}…
        </p>
      )}
      {asking && question && (
        <ConfirmDialog
          title={question.title(selected.length)}
          confirmLabel={LABEL[asking]}
          pendingLabel={`${LABEL[asking]}…`}
          danger={question.danger}
          // Each VM's failure is listed after the dialog closes; only the wait is shown here.
          mutation={{ isPending: batch.isPending, error: null }}
          onConfirm={confirm}
          onCancel={() => {
            setAsking(null);
            setNameError(null);
          }}
        >
          <p>{question.body}</p>
          <p className="break-words text-slate-600 dark:text-slate-400">
            {selected
              .slice(0, 5)
              .map((vm) => vm.name)
              .join(", ")}
            {selected.length > 5 && ` and ${selected.length - 5} more`}
          </p>
          {asking === "snapshot" && (
            <TextField
              id="batch-snapshot-name"
              name="snapshotName"
              label="Snapshot name"
              hint="The same name on every VM. Leave it empty for one made from the date and time (batch-YYYYMMDD-hhmmss, UTC)."
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
              {LABEL[outcome.action]}: {outcome.results.length - failed} of {vms(outcome.results.length)} done
              {failed > 0 && `, ${failed} failed`}
            </h2>
            <button type="button" className="btn btn-secondary" onClick={() => setOutcome(null)}>
              Dismiss
            </button>
          </div>
          <ul className="space-y-1 text-sm" aria-label="Result for each VM">
            {outcome.results.map((r) => (
              <li key={`${r.hostId}/${r.uuid}`} className="break-words" data-ok={r.ok}>
                {r.ok ? (
                  <span>
                    <span className="font-semibold text-emerald-800 dark:text-emerald-300">OK</span> {r.name}: {DONE[outcome.action](r)}
                  </span>
                ) : (
                  <span>
                    <span className="font-semibold text-red-800 dark:text-red-300">Failed</span> {r.explanation ? `${r.error} — ${r.explanation}` : r.error}
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

"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { VmRef } from "@/server/identifiers";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { FormStatus } from "@/app/_components/form-status";

/** The server takes at most this many VMs a request (MAX_AGENT_UPDATE_VMS); more are sent in turn. */
const CHUNK = 200;

/**
 * "Update agent" for the selected VMs (issue 15 item 5): one confirmation, then one task per VM
 * (the task tray follows them; four run at a time). A VM that could not get a task is listed with
 * the reason; how each update ends (confirmed, or rolled back and why) is its task's.
 */
export function AgentUpdateBatch({ selected }: { selected: (VmRef & { name: string })[] }) {
  const t = useTranslations("vmList.agentUpdate");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const [asking, setAsking] = useState(false);
  const [outcome, setOutcome] = useState<{ started: number; failed: { key: string; error: string }[] } | null>(null);
  const update = useMutation(trpc.guest.agentUpdate.mutationOptions());

  async function run() {
    const refs = selected.map(({ hostId, uuid }) => ({ hostId, uuid }));
    let answered = false;
    let started = 0;
    const failed: { key: string; error: string }[] = [];
    try {
      for (let i = 0; i < refs.length; i += CHUNK) {
        const answer = await update.mutateAsync({ vms: refs.slice(i, i + CHUNK) });
        answered = true;
        for (const vm of answer.vms) {
          if (vm.taskId) started++;
          else failed.push({ key: `${vm.hostId}/${vm.uuid}`, error: vm.error ?? "" });
        }
      }
    } catch {
      // The whole request was refused (no bundle, the role, the connection): update.error says so.
    }
    setAsking(false);
    if (answered) setOutcome({ started, failed });
  }

  return (
    <div className="space-y-2">
      <button type="button" className="btn btn-secondary" disabled={!hydrated || selected.length === 0 || update.isPending} onClick={() => setAsking(true)}>
        {t("button")}…
      </button>
      {asking && (
        <ConfirmDialog
          title={t("askTitle", { count: selected.length })}
          confirmLabel={t("button")}
          pendingLabel={`${t("button")}…`}
          danger={false}
          mutation={{ isPending: update.isPending, error: null }}
          onConfirm={() => void run()}
          onCancel={() => setAsking(false)}
        >
          <p>{t("askBody")}</p>
        </ConfirmDialog>
      )}
      {update.error && <FormStatus error={update.error.message} />}
      {outcome && (
        <div className="card space-y-1 text-sm" role="status">
          <p>{t("started", { count: outcome.started })}</p>
          {outcome.failed.length > 0 && (
            <ul aria-label={t("failedList")}>
              {outcome.failed.map((f) => (
                <li key={f.key} className="break-words" translate="no">
                  {f.error}
                </li>
              ))}
            </ul>
          )}
          <button type="button" className="btn btn-secondary" onClick={() => setOutcome(null)}>
            {t("dismiss")}
          </button>
        </div>
      )}
    </div>
  );
}

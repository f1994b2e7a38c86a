"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { compareVersions } from "@/agent/protocol/update";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { FormStatus } from "@/app/_components/form-status";
import { useTRPC } from "@/app/_components/trpc";
import { useHydrated } from "@/app/_components/use-hydrated";

type Status = inferRouterOutputs<AppRouter>["guest"]["status"];

/**
 * The agent's self-update on the VM's Guest tab (issue 15 item 5): the release this manager offers
 * when it is newer than the agent's, an "Update agent" button (one confirmation; the work is a task
 * the task tray follows), and the last rollback's reason, which is the guest's own words.
 */
export function AgentUpdate({ hostId, uuid, status, canUpdate }: { hostId: string; uuid: string; status: Status; canUpdate: boolean }) {
  const trpc = useTRPC();
  const t = useTranslations("vmGuest.update");
  const hydrated = useHydrated();
  const [asking, setAsking] = useState(false);
  const update = useMutation(trpc.guest.agentUpdate.mutationOptions({ onSuccess: () => setAsking(false) }));
  const info = status.agent.state === "connected" ? status.agent.info : null;
  if (!info) return null;
  const offered = status.offeredAgentVersion;
  const available = offered !== null && compareVersions(offered, info.version) > 0;
  const canSelfUpdate = info.capabilities.includes("update");
  const last = info.update;
  const started = update.data?.vms[0];
  return (
    <div className="space-y-1 text-sm" data-testid="agent-update">
      <p>
        {t("running", { version: info.version })}
        {last?.state === "confirmed" && <> {t("updatedFrom", { packaged: last.packaged_version })}</>}
      </p>
      {last?.state === "rolled_back" && (
        <p className="text-amber-700 dark:text-amber-400" role="status">
          {t("rolledBack", { version: last.failed_version ?? "?" })} <span translate="no">{last.reason}</span>
        </p>
      )}
      {available && (
        <div className="flex flex-wrap items-center gap-2">
          <span>{t("available", { version: offered })}</span>
          {canUpdate && canSelfUpdate && (
            <button type="button" className="btn" disabled={!hydrated || update.isPending} onClick={() => setAsking(true)}>
              {t("button")}
            </button>
          )}
          {!canSelfUpdate && <span className="text-slate-600 dark:text-slate-400">{t("cannot")}</span>}
        </div>
      )}
      {started?.taskId && <p role="status">{t("started", { version: update.data?.version ?? "" })}</p>}
      <FormStatus error={started?.error ?? (asking ? null : (update.error?.message ?? null))} />
      {asking && offered && (
        <ConfirmDialog
          title={t("askTitle", { version: offered })}
          confirmLabel={t("button")}
          pendingLabel={t("pending")}
          danger={false}
          mutation={{ isPending: update.isPending, error: update.error }}
          onConfirm={() => update.mutate({ vms: [{ hostId, uuid }] })}
          onCancel={() => setAsking(false)}
        >
          <p>{t("askBody", { version: offered, current: info.version })}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

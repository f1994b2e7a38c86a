"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { canDo, POWER_REQUEST_WAIT_MS, type PowerAction, type VmState } from "@/server/domains/power";
import { useTRPC } from "./trpc";
import { useHydrated } from "./use-hydrated";
import { useVmCache } from "./vm-cache";
import { EXPLAINED_DETAIL, useExplanation } from "./error-explained";
import { ConfirmDialog } from "./confirm-dialog";
import { useToasts } from "./toasts";
import { usePowerPending, type GuestRequest } from "./power-pending";

/** Asked before, with a red button when the guest loses its unsaved state, a plain one when it only interrupts its users. */
const ASK: Partial<Record<PowerAction, { danger: boolean }>> = {
  forceOff: { danger: true },
  reset: { danger: true },
  shutdown: { danger: false },
  reboot: { danger: false },
};

const ORDER: readonly PowerAction[] = ["start", "shutdown", "reboot", "resume", "pause", "reset", "forceOff"];
type AskedAction = "forceOff" | "reset" | "shutdown" | "reboot";

const FORCED: Record<GuestRequest, PowerAction> = { shutdown: "forceOff", reboot: "reset" };

/**
 * The power actions a VM's state allows. Force off and reset are always asked about first; on
 * the list (`where="list"`), where a row is easily tapped by mistake, so are shutdown and reboot.
 * A shutdown or reboot shows as pending until the VM's next lifecycle event; on the VM page, a
 * guest that has not acted on it after POWER_REQUEST_WAIT_MS is said to, with the forced action offered.
 */
export function PowerButtons({ hostId, uuid, name, state, where }: { hostId: string; uuid: string; name: string; state: VmState; where: "list" | "page" }) {
  const t = useTranslations("common.power");
  const explain = useExplanation();
  const trpc = useTRPC();
  const vmCache = useVmCache();
  const hydrated = useHydrated();
  const toasts = useToasts();
  const ref = { hostId, uuid };
  const { pending, overdue, start: markPending } = usePowerPending(ref);
  const [asking, setAsking] = useState<PowerAction | null>(null);
  const toastKey = `power ${hostId}/${uuid}`;
  // The answer is the state after the action; later changes (a guest finishing its shutdown) come as live events.
  // A refusal usually means the state shown was out of date, so then the VM is read again.
  const power = useMutation(
    trpc.vms.power.mutationOptions({
      onSuccess: ({ state }, { action }) => {
        vmCache.setState(ref, state);
        if (action === "shutdown" || action === "reboot") markPending(action);
        setAsking(null);
        toasts.success(toastKey, t(`done.${action}`, { name }));
      },
      onError: (error, { action }) => {
        vmCache.reread(ref);
        setAsking(null);
        // A failure the server could explain (a VM the host cannot run) says so in words, libvirt's text folded under it.
        const explanation = explain(error);
        toasts.error(
          toastKey,
          t("failed", { action: t(`action.${action}`), name, reason: explanation ?? error.message }),
          explanation ? { label: EXPLAINED_DETAIL, text: error.message } : undefined,
        );
      },
    }),
  );
  const actions = ORDER.filter((a) => canDo(a, state));
  const mustAsk = (action: PowerAction) => action === "forceOff" || action === "reset" || (where === "list" && (action === "shutdown" || action === "reboot"));
  // Shown only while the VM still runs: a stop that arrived by a re-read rather than an event ends it too.
  const waiting = pending && canDo("shutdown", state) ? pending : undefined;
  const question = asking && ASK[asking];

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label={t("groupLabel", { name })}>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={`btn ${action === "start" ? "btn-primary" : "btn-secondary"}`}
            disabled={!hydrated || power.isPending}
            onClick={() => (mustAsk(action) ? setAsking(action) : power.mutate({ ...ref, action }))}
          >
            {t(`action.${action}`)}
            {mustAsk(action) && "…"}
          </button>
        ))}
      </div>
      {waiting && (
        <p role="status" className="text-sm font-medium text-amber-800 dark:text-amber-200">
          {t(`pending.${waiting.action}`)}
        </p>
      )}
      {waiting && overdue && where === "page" && (
        <div className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
          <p>{t(`overdue.${waiting.action}`, { name, seconds: POWER_REQUEST_WAIT_MS / 1000 })}</p>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || power.isPending} onClick={() => setAsking(FORCED[waiting.action])}>
            {t(`action.${FORCED[waiting.action]}`)}…
          </button>
        </div>
      )}
      {asking && question && (
        <ConfirmDialog
          title={t(`ask.${asking as AskedAction}Title`, { name })}
          confirmLabel={t(`action.${asking}`)}
          pendingLabel={`${t(`action.${asking}`)}…`}
          danger={question.danger}
          // An error closes the dialog and becomes a notice (onError), so only the wait is shown here.
          mutation={{ isPending: power.isPending, error: null }}
          onConfirm={() => power.mutate({ ...ref, action: asking })}
          onCancel={() => setAsking(null)}
        >
          <p>{t(`ask.${asking as AskedAction}Body`)}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

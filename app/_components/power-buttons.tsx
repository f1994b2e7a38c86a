"use client";

import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { canDo, POWER_REQUEST_WAIT_MS, type PowerAction, type VmState } from "@/server/domains/power";
import { useTRPC } from "./trpc";
import { useHydrated } from "./use-hydrated";
import { useVmCache } from "./vm-cache";
import { EXPLAINED_DETAIL } from "./error-explained";
import { ConfirmDialog } from "./confirm-dialog";
import { useToasts } from "./toasts";
import { usePowerPending, type GuestRequest } from "./power-pending";

const LABEL: Record<PowerAction, string> = {
  start: "Start",
  shutdown: "Shut down",
  reboot: "Reboot",
  resume: "Resume",
  pause: "Pause",
  reset: "Reset",
  forceOff: "Force off",
};

/** What each action did, for the notice that follows it. */
const DONE: Record<PowerAction, (name: string) => string> = {
  start: (name) => `${name} started.`,
  shutdown: (name) => `${name} was asked to shut down.`,
  reboot: (name) => `${name} was asked to reboot.`,
  resume: (name) => `${name} resumed.`,
  pause: (name) => `${name} paused.`,
  reset: (name) => `${name} was reset.`,
  forceOff: (name) => `${name} was forced off.`,
};

interface Question {
  title: (name: string) => string;
  body: string;
  /** Loses the guest's unsaved state (red), or only interrupts its users. */
  danger: boolean;
}

const ASK: Partial<Record<PowerAction, Question>> = {
  forceOff: {
    title: (name) => `Force off ${name}?`,
    body: "Force off cuts the power at once, like pulling the plug: anything the guest has not saved is lost, and its file systems may need a check.",
    danger: true,
  },
  reset: {
    title: (name) => `Reset ${name}?`,
    body: "Reset restarts the VM at once, like pressing its reset button, without a clean shutdown: anything the guest has not saved is lost.",
    danger: true,
  },
  shutdown: {
    title: (name) => `Shut down ${name}?`,
    body: "The guest is asked to shut down cleanly (ACPI power button); its services and users are stopped.",
    danger: false,
  },
  reboot: {
    title: (name) => `Reboot ${name}?`,
    body: "The guest is asked to restart cleanly (ACPI power button); its services are down until it is back.",
    danger: false,
  },
};

const PENDING_LABEL: Record<GuestRequest, string> = { shutdown: "Shutting down…", reboot: "Rebooting…" };
const FORCED: Record<GuestRequest, PowerAction> = { shutdown: "forceOff", reboot: "reset" };

/**
 * The power actions a VM's state allows. Force off and reset are always asked about first; on
 * the list (`where="list"`), where a row is easily tapped by mistake, so are shutdown and reboot.
 * A shutdown or reboot shows as pending until the VM's next lifecycle event; on the VM page, a
 * guest that has not acted on it after POWER_REQUEST_WAIT_MS is said to, with the forced action offered.
 */
export function PowerButtons({ hostId, uuid, name, state, where }: { hostId: string; uuid: string; name: string; state: VmState; where: "list" | "page" }) {
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
        toasts.success(toastKey, DONE[action](name));
      },
      onError: (error, { action }) => {
        vmCache.reread(ref);
        setAsking(null);
        // A failure the server could explain (a VM the host cannot run) says so in words, libvirt's text folded under it.
        const explanation = error.data?.explanation;
        toasts.error(
          toastKey,
          `${LABEL[action]} ${name}: ${explanation ?? error.message}`,
          explanation ? { label: EXPLAINED_DETAIL, text: error.message } : undefined,
        );
      },
    }),
  );
  const actions = (Object.keys(LABEL) as PowerAction[]).filter((a) => canDo(a, state));
  const mustAsk = (action: PowerAction) => action === "forceOff" || action === "reset" || (where === "list" && (action === "shutdown" || action === "reboot"));
  // Shown only while the VM still runs: a stop that arrived by a re-read rather than an event ends it too.
  const waiting = pending && canDo("shutdown", state) ? pending : undefined;
  const question = asking && ASK[asking];

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label={`Power actions for ${name}`}>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={`btn ${action === "start" ? "btn-primary" : "btn-secondary"}`}
            disabled={!hydrated || power.isPending}
            onClick={() => (mustAsk(action) ? setAsking(action) : power.mutate({ ...ref, action }))}
          >
            {LABEL[action]}
            {mustAsk(action) && "…"}
          </button>
        ))}
      </div>
      {waiting && (
        <p role="status" className="text-sm font-medium text-amber-800 dark:text-amber-200">
          {PENDING_LABEL[waiting.action]}
        </p>
      )}
      {waiting && overdue && where === "page" && (
        <div className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950">
          <p>
            {name} has not {waiting.action === "shutdown" ? "shut down" : "restarted"} {POWER_REQUEST_WAIT_MS / 1000} s after the request. The guest may be
            ignoring the ACPI power button: that happens when nothing in it handles the button (no acpid or systemd-logind, as in many minimal images), or while
            it is still booting. You can wait, or {waiting.action === "shutdown" ? "force it off" : "reset it"} (unsaved data in the guest is lost).
          </p>
          <button type="button" className="btn btn-secondary" disabled={!hydrated || power.isPending} onClick={() => setAsking(FORCED[waiting.action])}>
            {LABEL[FORCED[waiting.action]]}…
          </button>
        </div>
      )}
      {asking && question && (
        <ConfirmDialog
          title={question.title(name)}
          confirmLabel={LABEL[asking]}
          pendingLabel={`${LABEL[asking]}…`}
          danger={question.danger}
          // An error closes the dialog and becomes a notice (onError), so only the wait is shown here.
          mutation={{ isPending: power.isPending, error: null }}
          onConfirm={() => power.mutate({ ...ref, action: asking })}
          onCancel={() => setAsking(null)}
        >
          <p>{question.body}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

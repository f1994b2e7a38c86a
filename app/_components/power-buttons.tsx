"use client";

import { useMutation } from "@tanstack/react-query";
import { canDo, type PowerAction, type VmState } from "@/server/domains/power";
import { useTRPC } from "./trpc";
import { useHydrated } from "./use-hydrated";
import { ErrorExplained } from "./error-explained";
import { useVmCache } from "./vm-cache";

const LABEL: Record<PowerAction, string> = {
  start: "Start",
  shutdown: "Shut down",
  reboot: "Reboot",
  resume: "Resume",
  pause: "Pause",
  reset: "Reset",
  forceOff: "Force off",
};

/** Destructive for the guest's unsaved state: asked again before they are sent. */
const CONFIRM: Partial<Record<PowerAction, string>> = {
  forceOff: "Force off cuts the power: unsaved data in the guest is lost. Continue?",
  reset: "Reset restarts the VM without a clean shutdown. Continue?",
};

export function PowerButtons({ hostId, uuid, name, state }: { hostId: string; uuid: string; name: string; state: VmState }) {
  const trpc = useTRPC();
  const vmCache = useVmCache();
  const hydrated = useHydrated();
  const ref = { hostId, uuid };
  // The answer is the state after the action; later changes (a guest finishing its shutdown) come as live events.
  // A refusal usually means the state shown was out of date, so then the VM is read again.
  const power = useMutation(
    trpc.vms.power.mutationOptions({
      onSuccess: ({ state }) => vmCache.setState(ref, state),
      onError: () => vmCache.reread(ref),
    }),
  );
  const actions = (Object.keys(LABEL) as PowerAction[]).filter((a) => canDo(a, state));
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2" role="group" aria-label={`Power actions for ${name}`}>
        {actions.map((action) => (
          <button
            key={action}
            type="button"
            className={`btn ${action === "start" ? "btn-primary" : "btn-secondary"}`}
            disabled={!hydrated || power.isPending}
            onClick={() => {
              const question = CONFIRM[action];
              if (question && !window.confirm(question)) return;
              power.mutate({ ...ref, action });
            }}
          >
            {LABEL[action]}
          </button>
        ))}
      </div>
      <ErrorExplained error={power.error} />
    </div>
  );
}

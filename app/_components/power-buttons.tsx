"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { canDo, type PowerAction, type VmState } from "@/server/domains/power";
import { useTRPC } from "./trpc";
import { useHydrated } from "./use-hydrated";
import { FormStatus } from "./form-status";

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
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const power = useMutation(
    trpc.vms.power.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.vms.pathKey() }),
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
              power.mutate({ hostId, uuid, action });
            }}
          >
            {LABEL[action]}
          </button>
        ))}
      </div>
      <FormStatus error={power.error?.message ?? null} />
    </div>
  );
}

"use client";

import { useMutation } from "@tanstack/react-query";
import { AGENT_CHANNEL, QGA_CHANNEL } from "@/server/domains/xml-names";
import { useTRPC } from "@/app/_components/trpc";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import type { Vm } from "../use-vm";

/** What each channel lets the manager do, in the words of someone who has not read libvirt's docs. */
const CHANNEL_PURPOSE: Record<string, { name: string; gives: string }> = {
  [AGENT_CHANNEL]: { name: "KVM Manager agent", gives: "system facts, running commands, files" },
  [QGA_CHANNEL]: { name: "qemu-guest-agent", gives: "addresses, OS, file systems" },
};

function channelStatus(state: string | null): string {
  if (state === "connected") return "connected";
  if (state === "disconnected") return "not answering: install or start the agent in the guest";
  return "set up; connects while the VM runs";
}

export function AgentChannels({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const hydrated = useHydrated();
  // The answer names the channels added, not their paths and states: this VM is read again.
  const add = useMutation(
    trpc.vms.addAgentChannels.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`channels ${vm.hostId}/${vm.uuid}`, `Agent connections added to ${vm.name}; they work from its next start.`);
      },
      onError: (error) => toasts.error(`channels ${vm.hostId}/${vm.uuid}`, `Adding agent connections to ${vm.name}: ${error.message}`),
    }),
  );
  const byName = new Map(vm.channels.map((c) => [c.name, c]));
  const missing = [AGENT_CHANNEL, QGA_CHANNEL].filter((n) => !byName.has(n));
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        A program inside the guest, reached over a private virtual serial port, lets KVM Manager read facts from inside the VM and act in it. Without one,
        &ldquo;Inside the guest&rdquo; stays empty.
      </p>
      <ul className="space-y-2 text-sm">
        {[AGENT_CHANNEL, QGA_CHANNEL].map((channel) => {
          const present = byName.get(channel);
          return (
            <li key={channel} className="break-words">
              <strong>{CHANNEL_PURPOSE[channel]?.name}</strong> ({CHANNEL_PURPOSE[channel]?.gives}): {present ? channelStatus(present.state) : "not set up"}
              <span className="block break-all font-mono text-xs text-slate-500 dark:text-slate-400">{channel}</span>
            </li>
          );
        })}
      </ul>
      {missing.length > 0 && canEdit && (
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => add.mutate({ hostId: vm.hostId, uuid: vm.uuid })}
          disabled={!hydrated || add.isPending}
        >
          {add.isPending ? "Adding…" : "Add agent connections"}
        </button>
      )}
    </>
  );
}

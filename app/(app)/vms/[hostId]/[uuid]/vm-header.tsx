"use client";

import type { VmState } from "@/server/domains/power";
import { QGA_CHANNEL } from "@/server/domains/xml-names";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent, useLiveRefetch } from "@/app/_components/live-events";
import { VmStateBadge } from "@/app/_components/vm-state-badge";
import { PowerButtons } from "@/app/_components/power-buttons";
import { useVmCache } from "@/app/_components/vm-cache";
import { useVm, type Vm } from "./use-vm";
import { MigrateButton } from "./migrate-dialog";
import { useFollowMigration } from "./follow-migration";

/**
 * The VM's name, state and power buttons above every tab. It stays mounted while the user moves
 * between tabs, so it is the one place that applies this VM's live events to the cached VM.
 */
export function VmHeader({ initial, canPower, canMigrate }: { initial: Vm; canPower: boolean; canMigrate: boolean }) {
  const trpc = useTRPC();
  const vm = useVm(initial);
  const vmCache = useVmCache();
  const ref = { hostId: vm.hostId, uuid: vm.uuid };
  const mine = (event: { hostId: string; uuid: string }) => event.hostId === vm.hostId && event.uuid === vm.uuid;
  // Stopped, paused, resumed: the event says the new state, which is applied as it is; so does the agent
  // event for qemu-guest-agent's channel. A start brings a new live definition (channel paths and states),
  // a transient VM is gone once stopped, and tags or title change the definition: those are read again.
  const appliesInPlace = (state: VmState | null): state is VmState => state !== null && state !== "running" && (vm.persistent || state === "paused");
  useLiveEvent("domain.lifecycle", (event) => {
    if (mine(event) && appliesInPlace(event.state)) vmCache.setState(event, event.state);
  });
  useLiveEvent("domain.agent", (event) => mine(event) && vmCache.setChannelState(event, QGA_CHANNEL, event.connected ? "connected" : "disconnected"));
  useLiveRefetch(["domain.lifecycle", "domain.metadata"], (event) =>
    mine(event) && !(event.type === "domain.lifecycle" && appliesInPlace(event.state)) ? [trpc.vms.get.queryKey(ref)] : [],
  );
  useFollowMigration(vm);

  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="min-w-0 break-all text-2xl font-semibold">{vm.name}</h1>
        <VmStateBadge state={vm.state} />
      </div>
      {vm.title && <p className="text-slate-600 dark:text-slate-400">{vm.title}</p>}
      {(canPower || canMigrate) && (
        <div className="flex flex-wrap items-start gap-2">
          {canPower && <PowerButtons hostId={vm.hostId} uuid={vm.uuid} name={vm.name} state={vm.state} where="page" />}
          {canMigrate && <MigrateButton hostId={vm.hostId} uuid={vm.uuid} name={vm.name} />}
        </div>
      )}
    </div>
  );
}

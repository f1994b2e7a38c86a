"use client";

import { useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { VmState } from "@/server/domains/power";
import { useTRPC } from "./trpc";
import type { VmRef } from "@/server/identifiers";
import type { LiveTick } from "@/server/metrics/live";
import { withoutVm, withTickUsage, withVmGuest, withVmState } from "./vm-lists";

/**
 * The browser's cached VMs (`vms.get` of each open VM page, `vms.list` of the list), kept current
 * from what the VM mutations answer instead of by reading everything again after each one. Live
 * `domain.*` events do the rest (the pages listen for them).
 */
export function useVmCache() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const getKey = (ref: VmRef) => trpc.vms.get.queryKey({ hostId: ref.hostId, uuid: ref.uuid });
  const lists = trpc.vms.list.queryFilter();
  type Lists = inferRouterOutputs<AppRouter>["vms"]["list"];
  type Vm = inferRouterOutputs<AppRouter>["vms"]["get"];

  return {
    /**
     * The VM's run state as a mutation answered it or a lifecycle event told it: shown at once,
     * nothing read again. A VM that stops loses the live state of its channels with its live definition.
     */
    setState(ref: VmRef, state: VmState) {
      const stopped = state === "shutoff" || state === "crashed";
      queryClient.setQueryData(getKey(ref), (vm) => vm && { ...vm, state, channels: stopped ? vm.channels.map((c) => ({ ...c, state: null })) : vm.channels });
      queryClient.setQueriesData<Lists>(lists, (data) => data && withVmState(data, ref, state));
    },
    /** A channel connected or disconnected (libvirt's agent event names qemu-guest-agent's channel): shown as it is. */
    setChannelState(ref: VmRef, channel: string, state: "connected" | "disconnected") {
      queryClient.setQueryData(getKey(ref), (vm) => vm && { ...vm, channels: vm.channels.map((c) => (c.name === channel ? { ...c, state } : c)) });
    },
    /** Our agent or qemu-guest-agent connected or went away (a `guest.status` event): the list's agent column, in place. */
    setGuest(ref: VmRef, guest: { agent: boolean; qga: boolean }) {
      queryClient.setQueriesData<Lists>(lists, (data) => data && withVmGuest(data, ref, guest));
    },
    /** A collector tick (a `metrics.tick` event): the usage figures of that host's running VMs, in place. */
    setUsage(tick: LiveTick) {
      queryClient.setQueriesData<Lists>(lists, (data) => data && withTickUsage(data, tick));
      if (!tick.reachable) return;
      // Open VM pages only (a handful), not one cache write per VM of the tick.
      const byUuid = new Map(tick.vms.map((vm) => [vm.uuid, vm]));
      for (const [queryKey, vm] of queryClient.getQueriesData<Vm>(trpc.vms.get.queryFilter())) {
        if (vm && vm.hostId === tick.hostId) queryClient.setQueryData<Vm>(queryKey, { ...vm, usage: byUuid.get(vm.uuid) ?? null });
      }
    },
    /** A deleted VM leaves the lists; its own page is being left. */
    remove(ref: VmRef) {
      queryClient.setQueriesData<Lists>(lists, (data) => data && withoutVm(data, ref));
    },
    /** What the answer cannot tell (a failed action, a changed definition): the VM is read again where it is shown. */
    reread(ref: VmRef) {
      void queryClient.invalidateQueries({ queryKey: getKey(ref) });
      void queryClient.invalidateQueries(lists);
    },
  };
}

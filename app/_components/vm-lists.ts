import type { VmState } from "@/server/domains/power";
import type { VmRef } from "@/server/identifiers";
import { vmUsageOf, type LiveTick, type VmUsage } from "@/server/metrics/live";

/** The shape of `vms.list`: each host's VMs (only what these functions touch). */
interface HostVms<V extends VmRef> {
  hostId: string;
  vms: V[];
}

function mapHost<V extends VmRef, H extends HostVms<V>>(lists: H[], hostId: string, change: (vms: V[]) => V[]): H[] {
  return lists.map((host) => (host.hostId === hostId ? { ...host, vms: change(host.vms) } : host));
}

/** The lists with one VM's run state replaced; VMs not in them stay out. */
export function withVmState<V extends VmRef & { state: VmState }, H extends HostVms<V>>(lists: H[], ref: VmRef, state: VmState): H[] {
  return mapHost(lists, ref.hostId, (vms) => vms.map((vm) => (vm.uuid === ref.uuid ? { ...vm, state } : vm)));
}

/** The lists with one VM's guest agents' connection states replaced (a `guest.status` event). */
export function withVmGuest<V extends VmRef & { guest: { agent: boolean; qga: boolean } }, H extends HostVms<V>>(
  lists: H[],
  ref: VmRef,
  guest: { agent: boolean; qga: boolean },
): H[] {
  return mapHost(lists, ref.hostId, (vms) => vms.map((vm) => (vm.uuid === ref.uuid ? { ...vm, guest } : vm)));
}

/** The lists without one VM. */
export function withoutVm<V extends VmRef, H extends HostVms<V>>(lists: H[], ref: VmRef): H[] {
  return mapHost(lists, ref.hostId, (vms) => vms.filter((vm) => vm.uuid !== ref.uuid));
}

/**
 * The lists with the usage of one host's running VMs from a collector tick (a `metrics.tick`
 * event). VMs the tick does not name (stopped, or not its host) keep their row object, so React
 * redraws only the rows whose figures came; an unreachable host's tick changes nothing.
 */
export function withTickUsage<V extends VmRef & { usage: VmUsage }, H extends HostVms<V>>(lists: H[], tick: LiveTick): H[] {
  if (!tick.reachable) return lists;
  const byUuid = new Map(tick.vms.map((vm) => [vm.uuid, vm]));
  return mapHost(lists, tick.hostId, (vms) =>
    vms.map((vm) => {
      const live = byUuid.get(vm.uuid);
      return live ? { ...vm, usage: vmUsageOf(live) } : vm;
    }),
  );
}

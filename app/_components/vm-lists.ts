import type { VmState } from "@/server/domains/power";
import type { VmRef } from "@/server/identifiers";

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

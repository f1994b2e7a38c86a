import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "../domains/lookup";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { flagsOf, VIR_DOMAIN_AFFECT_CONFIG, VIR_DOMAIN_AFFECT_LIVE, VIR_DOMAIN_XML_INACTIVE, type VirDomainModificationImpact } from "../libvirt";
import { resolveVolume } from "./volumes";
import { notFound, storageView, volumeVisible } from "./scope";
import { buildDiskDeviceXml, diskSourcePaths, findDisk, diskTargets, nextFreeTarget, type DiskBus } from "./xml";

/**
 * Attaching a pool's volume to a VM as a disk, and detaching it: to the running VM and to its
 * saved definition together, as far as the VM's state allows (a stopped VM: config only; a
 * transient running VM: live only).
 */

export interface AttachDiskSpec {
  pool: string;
  volume: string;
  bus: DiskBus;
  /** vdb, sdc…; default the first free name of the bus. */
  target?: string;
  readonly?: boolean;
}

export interface DiskChange {
  target: string;
  /** The disk's host path ("" for a disk without one, e.g. an empty CD-ROM). */
  path: string;
  /** Changed in the running VM. */
  live: boolean;
  /** Changed in the saved definition (survives a restart). */
  persistent: boolean;
}

export interface VmXml {
  active: boolean;
  persistent: boolean;
  live: string | null;
  config: string | null;
}

/** Whether the VM runs and has a saved definition, and both of its documents (null where it has none). */
export async function vmXml(vm: ResolvedVm): Promise<VmXml> {
  const { conn, dom } = vm;
  const [active, persistent] = await Promise.all([conn.domainIsActive({ dom }), conn.domainIsPersistent({ dom })]);
  const [live, config] = await Promise.all([
    active === 1 ? conn.domainGetXmlDesc({ dom, flags: 0 }) : null,
    persistent === 1 ? conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE }) : null,
  ]);
  return { active: active === 1, persistent: persistent === 1, live, config };
}

/** The flags that change the running VM (`live`) and the saved definition (`persistent`). */
export function flagsFor(live: boolean, persistent: boolean): VirDomainModificationImpact {
  return flagsOf(live ? VIR_DOMAIN_AFFECT_LIVE : 0, persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

export async function attachDisk(vm: ResolvedVm, user: SessionUser, spec: AttachDiskSpec): Promise<DiskChange> {
  // A user narrowed to some VMs may attach only volumes they can see: those already on their VMs.
  const view = await withLibvirtContext(vm.context, () => storageView(vm.conn, user, vm.hostId));
  if (!volumeVisible(view, spec.pool, spec.volume)) throw notFound(auditTargets.volume(vm.hostId, spec.pool, spec.volume));
  const volume = await resolveVolume(vm.host, spec.pool, spec.volume);
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const documents = [xml.live, xml.config].filter((x): x is string => x !== null);
    if (documents.some((doc) => diskSourcePaths(doc).includes(volume.path))) {
      throw new ServiceError(`${vm.context}: volume "${spec.volume}" of pool "${spec.pool}" is already attached`, "conflict");
    }
    const used = documents.flatMap(diskTargets);
    const target = spec.target ?? nextFreeTarget(spec.bus, used);
    if (!target) throw new ServiceError(`${vm.context}: no free ${spec.bus} disk name left`, "conflict");
    if (used.includes(target)) throw new ServiceError(`${vm.context}: disk ${target} is taken`, "conflict");
    if (spec.target && !target.startsWith(spec.bus === "virtio" ? "vd" : "sd")) {
      throw new ServiceError(`${vm.context}: a ${spec.bus} disk is named ${spec.bus === "virtio" ? "vdX" : "sdX"}, not ${target}`, "invalid");
    }
    const device = buildDiskDeviceXml({ path: volume.path, type: volume.diskType, format: volume.format, target, bus: spec.bus, readonly: spec.readonly });
    await vm.conn.domainAttachDeviceFlags({ dom: vm.dom, xml: device, flags: flagsFor(xml.active, xml.persistent) });
    return { target, path: volume.path, live: xml.active, persistent: xml.persistent };
  });
}

export interface DetachResult extends DiskChange {
  /**
   * The guest has not released a live disk yet (hot-unplug needs its cooperation); it leaves the
   * running VM once the guest does, and the saved definition has already lost it.
   */
  pending: boolean;
}

export async function detachDisk(vm: ResolvedVm, target: string): Promise<DetachResult> {
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const liveDisk = xml.live ? findDisk(xml.live, target) : null;
    const configDisk = xml.config ? findDisk(xml.config, target) : null;
    const disk = liveDisk ?? configDisk;
    if (!disk) throw new ServiceError(`${vm.context}: has no disk ${target}`, "not_found");
    const live = liveDisk !== null;
    const persistent = configDisk !== null;
    await vm.conn.domainDetachDeviceFlags({ dom: vm.dom, xml: disk.xml, flags: flagsFor(live, persistent) });
    // libvirt waits a few seconds for the guest to release the device, then returns anyway.
    const pending = live && diskTargets(await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: 0 })).includes(target);
    return { target, path: disk.source ?? "", live, persistent, pending };
  });
}

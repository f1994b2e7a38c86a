import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "../domains/lookup";
import { parseDomainXml } from "../domains/xml";
import { auditTargets } from "../audit/targets";
import { roleHas } from "../auth/permissions";
import { assertCoversHost } from "../hosts/scope";
import { withLibvirtContext, ServiceError } from "../errors";
import {
  flagsOf,
  isLibvirtError,
  isNoStorageVol,
  VIR_DOMAIN_BLOCK_RESIZE_BYTES,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_DOMAIN_XML_SECURE,
  type protocol,
} from "../libvirt";
import { attachDisk, flagsFor, vmXml, type DiskChange } from "./disks";
import { createVolume, deleteNewVolume, resolveVolume, type CreateVolumeSpec } from "./volumes";
import { notFound, storageView, volumeVisible } from "./scope";
import { applyBootOrder, mediaChangeXml, parseBootOrder, parseDiskDevices, type BootDevice, type BootOrder, type DiskDevice } from "./disk-edits";
import { formatSize } from "./sizes";
import type { DiskBus } from "./xml";

/**
 * The VM's Disks tab: its disks with their sizes, a new volume made and attached in one step,
 * growing a disk, changing a CD-ROM's media and the boot order. Each change says where it took
 * effect: `live` (the running VM, now) and `persistent` (the saved definition, from the next start).
 */

export interface VmDisk extends DiskDevice {
  /** The pool volume that holds the disk, by name, when a pool holds it. */
  volume: { pool: string; volume: string } | null;
  /** The guest's size of the disk; null for an empty drive or a file that cannot be read. */
  capacityBytes: number | null;
  /** Bytes the disk takes on the host. */
  allocationBytes: number | null;
}

export interface VmDisks {
  running: boolean;
  persistent: boolean;
  /** The running VM's disks when it runs, else its saved definition's. */
  disks: VmDisk[];
  /** From the saved definition (what the next start uses); from the running VM for a transient one. */
  boot: BootOrder;
  /** NICs the boot order may name. */
  nics: { mac: string; source: string | null }[];
}

/**
 * Sizes cost one call per disk: a running VM is asked through QEMU (virDomainGetBlockInfo), which
 * sees a grow at once; a stopped VM's pool volumes are read by their pool (virStorageVolGetInfo),
 * and a file outside the pools through the domain (libvirt reads the file for a stopped VM).
 * Finding the volume's pool and name is the other call per disk (virStorageVolLookupByPath).
 */
async function describeDisk(vm: ResolvedVm, running: boolean, disk: DiskDevice): Promise<VmDisk> {
  const { conn, dom } = vm;
  const vol: protocol.NonnullStorageVol | null = disk.path
    ? await conn.storageVolLookupByPath({ path: disk.path }).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)))
    : null;
  const volume = disk.poolVolume ?? (vol && { pool: vol.pool, volume: vol.name });
  if (!disk.path && !disk.poolVolume) return { ...disk, volume, capacityBytes: null, allocationBytes: null };
  const sizes = await (running || !vol ? conn.domainGetBlockInfo({ dom, path: disk.target, flags: 0 }) : conn.storageVolGetInfo({ vol })).catch(
    // A file that is gone has no size: the page says it is missing instead.
    (err: unknown) => (isLibvirtError(err) ? null : Promise.reject(err)),
  );
  return { ...disk, volume, capacityBytes: sizes ? Number(sizes.capacity) : null, allocationBytes: sizes ? Number(sizes.allocation) : null };
}

export async function listVmDisks(vm: ResolvedVm): Promise<VmDisks> {
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const current = (xml.live ?? xml.config)!;
    const saved = xml.config ?? current;
    const disks = await Promise.all(parseDiskDevices(current).map((d) => describeDisk(vm, xml.active, d)));
    const nics = parseDomainXml(saved).nics.flatMap((n) => (n.mac ? [{ mac: n.mac, source: n.source }] : []));
    return { running: xml.active, persistent: xml.persistent, disks, boot: parseBootOrder(saved), nics };
  });
}

export interface NewDiskSpec extends CreateVolumeSpec {
  pool: string;
  bus: DiskBus;
}

/**
 * Creates a volume and attaches it as one action: when the attach fails the new volume is deleted
 * again, so nothing is left half-done. Making a volume changes the host's storage, so it needs the
 * right to manage storage and grants that cover the host, besides editing the VM.
 */
export async function attachNewDisk(vm: ResolvedVm, user: SessionUser, spec: NewDiskSpec): Promise<DiskChange & { pool: string; volume: string }> {
  const volumeName = auditTargets.volume(vm.hostId, spec.pool, spec.name);
  if (!roleHas(user.role, "storage.manage")) throw new ServiceError(`${volumeName}: making a new volume needs the right to manage storage`, "forbidden");
  assertCoversHost(user, vm.hostId);
  await createVolume(vm.host, spec.pool, { name: spec.name, format: spec.format, capacityBytes: spec.capacityBytes, preallocate: spec.preallocate });
  try {
    const change = await attachDisk(vm, user, { pool: spec.pool, volume: spec.name, bus: spec.bus });
    return { ...change, pool: spec.pool, volume: spec.name };
  } catch (err) {
    const removed = await deleteNewVolume(vm.host, spec.pool, spec.name).then(
      () => null,
      (cleanup: unknown) => cleanup,
    );
    if (removed === null) throw err;
    const why = err instanceof Error ? err.message : String(err);
    const cleanupWhy = removed instanceof Error ? removed.message : String(removed);
    throw new ServiceError(`${why}; the new volume could not be removed either (${cleanupWhy}): delete ${volumeName} by hand`, "conflict");
  }
}

export interface GrowResult {
  target: string;
  previousBytes: number;
  capacityBytes: number;
  /** Grown through the running VM: the guest sees the new size now. */
  live: boolean;
}

// QEMU refuses a qcow2 size that is not a whole number of 512-byte sectors.
const SECTOR = 512;

/**
 * Grows a disk to `capacityBytes` (rounded up to whole sectors): through the running VM
 * (virDomainBlockResize), so QEMU tells the guest at once, or through its pool when the VM is off
 * (virStorageVolResize). Shrinking is refused: it would cut off whatever the guest keeps past the new end.
 */
export async function growDisk(vm: ResolvedVm, target: string, requestedBytes: number): Promise<GrowResult> {
  const capacityBytes = Math.ceil(requestedBytes / SECTOR) * SECTOR;
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const live = xml.live ? parseDiskDevices(xml.live).find((d) => d.target === target) : undefined;
    const disk = live ?? (xml.config ? parseDiskDevices(xml.config).find((d) => d.target === target) : undefined);
    if (!disk) throw new ServiceError(`${vm.context}: has no disk ${target}`, "not_found");
    if (disk.device !== "disk") throw new ServiceError(`${vm.context}: ${target} is a ${disk.device} drive; only disks can grow`, "invalid");
    const refuseShrink = (previousBytes: number) => {
      if (capacityBytes < previousBytes) {
        throw new ServiceError(
          `${vm.context}: disk ${target} is ${formatSize(previousBytes)}; it can only grow, and ${formatSize(capacityBytes)} would shrink it and cut off what the guest keeps past that point`,
          "invalid",
        );
      }
    };
    if (live) {
      const { capacity } = await vm.conn.domainGetBlockInfo({ dom: vm.dom, path: target, flags: 0 });
      const previousBytes = Number(capacity);
      refuseShrink(previousBytes);
      if (capacityBytes > previousBytes) {
        await vm.conn.domainBlockResize({ dom: vm.dom, disk: target, size: BigInt(capacityBytes), flags: VIR_DOMAIN_BLOCK_RESIZE_BYTES });
      }
      return { target, previousBytes, capacityBytes, live: true };
    }
    const vol = disk.path
      ? await vm.conn.storageVolLookupByPath({ path: disk.path }).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)))
      : null;
    if (!vol) {
      throw new ServiceError(
        `${vm.context}: disk ${target} (${disk.path ?? "no file"}) is in no storage pool, so it can grow only while the VM runs`,
        "invalid",
      );
    }
    const previousBytes = Number((await vm.conn.storageVolGetInfo({ vol })).capacity);
    refuseShrink(previousBytes);
    if (capacityBytes > previousBytes) await vm.conn.storageVolResize({ vol, capacity: BigInt(capacityBytes), flags: 0 });
    return { target, previousBytes, capacityBytes, live: false };
  });
}

/**
 * Puts a pool's volume (an ISO) into a CD-ROM drive, or ejects it (`media` null): in the running VM
 * and its saved definition together (virDomainUpdateDeviceFlags LIVE|CONFIG), the definition alone when it is off.
 */
export async function changeMedia(vm: ResolvedVm, user: SessionUser, target: string, media: { pool: string; volume: string } | null): Promise<DiskChange> {
  if (media) {
    const view = await withLibvirtContext(vm.context, () => storageView(vm.conn, user, vm.hostId));
    if (!volumeVisible(view, media.pool, media.volume)) throw notFound(auditTargets.volume(vm.hostId, media.pool, media.volume));
  }
  const resolved = media ? await resolveVolume(vm.host, media.pool, media.volume) : null;
  return withLibvirtContext(vm.context, async () => {
    const xml = await vmXml(vm);
    const inLive = xml.live !== null && parseDiskDevices(xml.live).some((d) => d.target === target);
    const inConfig = xml.config !== null && parseDiskDevices(xml.config).some((d) => d.target === target);
    const doc = inLive ? xml.live! : inConfig ? xml.config! : null;
    if (!doc) throw new ServiceError(`${vm.context}: has no drive ${target}`, "not_found");
    // An ISO volume's format is "iso"; QEMU reads it as raw bytes.
    const format = resolved && (resolved.format === "iso" ? "raw" : resolved.format);
    const device = mediaChangeXml(doc, target, resolved && format ? { path: resolved.path, type: resolved.diskType, format } : null, vm.context);
    await vm.conn.domainUpdateDeviceFlags({ dom: vm.dom, xml: device, flags: flagsFor(inLive, inConfig) });
    return { target, path: resolved?.path ?? "", live: inLive, persistent: inConfig };
  });
}

export interface BootOrderChange {
  order: BootDevice[];
  /** The VM runs now: the new order applies from its next start. */
  nextStart: boolean;
}

/**
 * Writes the boot order into the saved definition (per-device `<boot order>`, see `applyBootOrder`).
 * Firmware reads it when the VM starts, so a running VM keeps booting as it did until its next start.
 */
export async function setBootOrder(vm: ResolvedVm, order: BootDevice[]): Promise<BootOrderChange> {
  return withLibvirtContext(vm.context, async () => {
    const [persistent, active] = await Promise.all([vm.conn.domainIsPersistent({ dom: vm.dom }), vm.conn.domainIsActive({ dom: vm.dom })]);
    if (persistent !== 1) throw new ServiceError(`${vm.context}: is transient (it has no saved definition), so it has no next start to boot from`, "conflict");
    // SECURE: secrets in the definition (a VNC password) must survive the round trip.
    const saved = await vm.conn.domainGetXmlDesc({ dom: vm.dom, flags: flagsOf(VIR_DOMAIN_XML_INACTIVE, VIR_DOMAIN_XML_SECURE) });
    await vm.conn.domainDefineXmlFlags({ xml: applyBootOrder(saved, order, vm.context), flags: 0 });
    return { order, nextStart: active === 1 };
  });
}

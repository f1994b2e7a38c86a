import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { SessionUser } from "../users/service";
import type { Connection, protocol } from "../libvirt";
import {
  isNoDomain,
  isNoStorageVol,
  uuidToString,
  VIR_CONNECT_LIST_DOMAINS_ACTIVE,
  VIR_DOMAIN_BLOCK_RESIZE_BYTES,
  VIR_STORAGE_VOL_DELETE_NORMAL,
  VIR_STORAGE_VOL_GET_PHYSICAL,
  VIR_STORAGE_VOL_RESIZE_SHRINK,
} from "../libvirt";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { openPool } from "./pools";
import { buildVolumeXml, diskTargetOfPath, parsePoolXml, parseVolumeXml, type VolumeFormat, type VolumeXmlInfo } from "./xml";
import { notFound, poolVisible, storageView, volumeVisible } from "./scope";
import { diskUsers, type DiskUse } from "./users";
import { formatSize } from "./sizes";
import { detachDisk, type DiskChange } from "./disks";
import { resolveVm, vmsInScope } from "../domains/lookup";
import { roleHas } from "../auth/permissions";

/** Volumes of a pool: list, create, delete, resize, path resolution, and streamed upload/download. */

/** A volume as its XML describes it, and where it is. */
export interface VolumeInfo extends VolumeXmlInfo {
  hostId: string;
  pool: string;
}

async function openVolume(host: ResolvedHost, poolName: string, name: string) {
  const { conn, pool } = await openPool(host, poolName);
  const context = auditTargets.volume(host.id, poolName, name);
  const vol = await withLibvirtContext(context, () => conn.storageVolLookupByName({ pool, name }));
  return { conn, pool, vol, context };
}

async function describeVolume(conn: Connection, hostId: string, vol: protocol.NonnullStorageVol): Promise<VolumeInfo> {
  const parsed = parseVolumeXml(await conn.storageVolGetXmlDesc({ vol, flags: 0 }));
  return { hostId, pool: vol.pool, ...parsed, name: vol.name, key: vol.key };
}

/** A volume in the pool's list, with the VMs that read it (as a disk, or as a backing file under one). */
export interface VolumeListItem extends VolumeInfo {
  /** For a user narrowed to some VMs, only their VMs are named. */
  usedBy: DiskUse[];
}

/** The pool's volumes, or for a user narrowed to some VMs those attached to their VMs (see `storageView`). */
export async function listVolumes(host: ResolvedHost, user: SessionUser, poolName: string): Promise<VolumeListItem[]> {
  const { conn } = host;
  const context = auditTargets.pool(host.id, poolName);
  return withLibvirtContext(context, async () => {
    const view = await storageView(conn, user, host.id);
    if (!poolVisible(view, poolName)) throw notFound(context);
    const pool = await conn.storagePoolLookupByName({ name: poolName });
    const { vols } = await conn.storagePoolListAllVolumes({ pool, needResults: 1, flags: 0 });
    const infos = await Promise.all(
      vols
        .filter((vol) => volumeVisible(view, poolName, vol.name))
        .map((vol) => describeVolume(conn, host.id, vol).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)))),
    );
    const [users, visibleVms] = await Promise.all([
      diskUsers(conn),
      view.whole ? null : vmsInScope(user, host.id, conn).then((doms) => new Set(doms.map((d) => uuidToString(d.uuid)))),
    ]);
    return infos
      .filter((v): v is VolumeInfo => v !== null)
      .map((v) => ({ ...v, usedBy: (v.path ? (users.get(v.path) ?? []) : []).filter((u) => !visibleVms || visibleVms.has(u.uuid)) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

/** One volume; for a user narrowed to some VMs only one attached to their VMs, else "not found". */
export async function getVolume(host: ResolvedHost, user: SessionUser, poolName: string, name: string): Promise<VolumeInfo> {
  const { conn } = host;
  if (!volumeVisible(await withLibvirtContext(host.context, () => storageView(conn, user, host.id)), poolName, name)) {
    throw notFound(auditTargets.volume(host.id, poolName, name));
  }
  return readVolume(host, poolName, name);
}

async function readVolume(host: ResolvedHost, poolName: string, name: string): Promise<VolumeInfo> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  return withLibvirtContext(context, () => describeVolume(conn, host.id, vol));
}

export interface CreateVolumeSpec {
  name: string;
  /** Ignored for logical pools, whose volumes are raw logical volumes. */
  format: VolumeFormat;
  capacityBytes: number;
  /** Allocate the whole size now instead of as the guest writes (logical volumes always are). */
  preallocate?: boolean;
}

/**
 * Creates an empty volume: thin (qcow2, or a sparse raw file) unless preallocated. A thin volume
 * may be larger than the pool's free space (overcommit: it fails only when the guest fills it); a
 * preallocated one, which takes its whole size at once, must fit. The VM wizard creates its disks
 * with this and passes `resolveVolume(…).path` to the domain XML.
 */
export async function createVolume(host: ResolvedHost, poolName: string, spec: CreateVolumeSpec): Promise<VolumeInfo> {
  const { conn, pool } = await openPool(host, poolName);
  const context = auditTargets.volume(host.id, poolName, spec.name);
  return withLibvirtContext(context, async () => {
    const existing = await conn.storageVolLookupByName({ pool, name: spec.name }).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)));
    if (existing) throw new ServiceError(`${context}: already exists`, "conflict");
    const poolType = parsePoolXml(await conn.storagePoolGetXmlDesc({ pool, flags: 0 })).type;
    const preallocate = spec.preallocate === true || poolType === "logical";
    if (preallocate) {
      const available = Number((await conn.storagePoolGetInfo({ pool })).available);
      if (spec.capacityBytes > available) {
        throw new ServiceError(
          `${context}: ${formatSize(spec.capacityBytes)} does not fit: pool "${poolName}" has ${formatSize(available)} free, and a ${poolType === "logical" ? "logical volume" : "preallocated volume"} takes its whole size at once`,
          "invalid",
        );
      }
    }
    const xml = buildVolumeXml({
      name: spec.name,
      capacityBytes: spec.capacityBytes,
      allocationBytes: preallocate ? spec.capacityBytes : 0,
      format: poolType === "logical" ? undefined : spec.format,
    });
    const vol = await conn.storageVolCreateXml({ pool, xml, flags: 0 });
    return describeVolume(conn, host.id, vol);
  });
}

/** Deletes a volume without asking which VMs read it: only for volumes no VM can use yet (those a failed VM creation made). */
export async function deleteNewVolume(host: ResolvedHost, poolName: string, name: string): Promise<void> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  await withLibvirtContext(context, () => conn.storageVolDelete({ vol, flags: VIR_STORAGE_VOL_DELETE_NORMAL }));
}

export interface DeleteVolumeOptions {
  /**
   * Names of the VMs that have the volume attached, typed by the user: each one's disk is detached
   * (from its saved definition, and live when it runs) before the volume goes. Without a VM's
   * name, a volume attached to it is not deleted.
   */
  detachFrom?: readonly string[];
}

/** `VM "web-1" as vda` for a disk's own file; backing files are named by the disk they sit under. */
function describeUse(u: DiskUse): string {
  return u.backing ? `VM "${u.name}"'s disk ${u.target}` : `VM "${u.name}" as ${u.target}`;
}

/**
 * Deletes a volume that no VM reads. A volume some VM has attached is deleted only when the user
 * typed that VM's name (`detachFrom`): the disk is detached first. A backing file of a VM's disk
 * is never deleted (the disk would be lost with it).
 */
export async function deleteVolume(
  host: ResolvedHost,
  user: SessionUser,
  poolName: string,
  name: string,
  options: DeleteVolumeOptions = {},
): Promise<{ detached: DiskChange[] }> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  const uses = await withLibvirtContext(context, async () => {
    const { path } = await describeVolume(conn, host.id, vol);
    return path ? ((await diskUsers(conn)).get(path) ?? []) : [];
  });
  const backing = uses.filter((u) => u.backing);
  if (backing.length) {
    throw new ServiceError(`${context}: it is the backing file under ${backing.map(describeUse).join(", ")}; deleting it would break that disk`, "conflict");
  }
  const confirmed = new Set(options.detachFrom ?? []);
  const unconfirmed = uses.filter((u) => !confirmed.has(u.name));
  if (unconfirmed.length) {
    throw new ServiceError(
      `${context}: in use by ${unconfirmed.map(describeUse).join(", ")}; detach it first, or type the VM's name to detach it and delete the volume`,
      "conflict",
    );
  }
  if (uses.length && !roleHas(user.role, "vm.edit")) {
    throw new ServiceError(`${context}: detaching it from ${uses.map(describeUse).join(", ")} needs the right to edit VMs`, "forbidden");
  }
  const detached: DiskChange[] = [];
  for (const use of uses) {
    const vm = await resolveVm(host, user, use.uuid);
    const change = await detachDisk(vm, use.target);
    if (change.pending) {
      throw new ServiceError(
        `${context}: the guest of VM "${use.name}" has not released disk ${use.target} yet (its saved definition no longer has it); delete the volume again once it has, or after stopping the VM`,
        "conflict",
      );
    }
    detached.push(change);
  }
  await withLibvirtContext(context, () => conn.storageVolDelete({ vol, flags: VIR_STORAGE_VOL_DELETE_NORMAL }));
  return { detached };
}

export interface ResizeOptions {
  /** Shrinking loses the data past the new end; refused unless asked for (and always for a disk in use). */
  allowShrink?: boolean;
}

/** The running VM (and its disk target) that has this file open as a disk, if any. */
async function runningUserOf(conn: Connection, path: string): Promise<{ dom: protocol.NonnullDomain; target: string } | null> {
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_ACTIVE });
  for (const dom of domains) {
    const xml = await conn.domainGetXmlDesc({ dom, flags: 0 }).catch((err: unknown) => (isNoDomain(err) ? null : Promise.reject(err)));
    const target = xml ? diskTargetOfPath(xml, path) : null;
    if (target) return { dom, target };
  }
  return null;
}

/**
 * Sets a volume's capacity (its virtual size for qcow2). A disk a running VM has open is grown
 * through the VM (virDomainBlockResize), so QEMU and the guest see the new size; shrinking it is refused.
 */
export async function resizeVolume(
  host: ResolvedHost,
  poolName: string,
  name: string,
  capacityBytes: number,
  options: ResizeOptions = {},
): Promise<VolumeInfo> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  return withLibvirtContext(context, async () => {
    const current = await describeVolume(conn, host.id, vol);
    const shrink = capacityBytes < current.capacityBytes;
    if (shrink && !options.allowShrink) {
      throw new ServiceError(`${context}: shrinking from ${current.capacityBytes} to ${capacityBytes} bytes would lose data; ask for it explicitly`, "invalid");
    }
    if (capacityBytes === current.capacityBytes) return current;
    const user = current.path ? await runningUserOf(conn, current.path) : null;
    if (user && shrink)
      throw new ServiceError(`${context}: running VM "${user.dom.name}" uses it as ${user.target}; shrink it only while the VM is stopped`, "conflict");
    if (user) {
      await conn.domainBlockResize({ dom: user.dom, disk: user.target, size: BigInt(capacityBytes), flags: VIR_DOMAIN_BLOCK_RESIZE_BYTES });
    } else {
      await conn.storageVolResize({ vol, capacity: BigInt(capacityBytes), flags: shrink ? VIR_STORAGE_VOL_RESIZE_SHRINK : 0 });
    }
    return describeVolume(conn, host.id, vol);
  });
}

export interface ResolvedVolume {
  path: string;
  /** How a domain's `<disk type>` refers to it. */
  diskType: "file" | "block";
  /** The image format for `<driver type>` (raw when libvirt reports none, as for LVs). */
  format: string;
  capacityBytes: number;
}

/**
 * Where a pool's volume lives on the host, and how to attach it: for other services (VM wizard,
 * disks), which check first that their user may use it (`storageView`, `assertCoversHost`).
 */
export async function resolveVolume(host: ResolvedHost, poolName: string, name: string): Promise<ResolvedVolume> {
  const info = await readVolume(host, poolName, name);
  if (!info.path) throw new ServiceError(`${auditTargets.volume(host.id, poolName, name)}: libvirt reports no path for it`, "invalid");
  if (info.type !== "file" && info.type !== "block") {
    throw new ServiceError(`${auditTargets.volume(host.id, poolName, name)}: a ${info.type} volume cannot be a disk here`, "invalid");
  }
  return { path: info.path, diskType: info.type, format: info.format && info.format !== "none" ? info.format : "raw", capacityBytes: info.capacityBytes };
}

export async function resolveVolumePath(host: ResolvedHost, poolName: string, name: string): Promise<string> {
  return (await resolveVolume(host, poolName, name)).path;
}

/** Called as bytes pass: `total` is the expected size when known. */
export type ProgressCallback = (bytes: number, total: number | null) => void;

/** Passes bytes through, counting them into `onProgress` (every MiB and at the end); fails past `limit`. */
class ProgressMeter extends Transform {
  bytes = 0;
  private reported = 0;

  constructor(
    private readonly total: number | null,
    private readonly onProgress: ProgressCallback | undefined,
    private readonly limit: number | null,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit !== null && this.bytes > this.limit) {
      cb(new ServiceError(`${this.what}: more than the ${this.limit} bytes that fit`, "invalid"));
      return;
    }
    if (this.onProgress && this.bytes - this.reported >= PROGRESS_EVERY) this.report();
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.onProgress && this.reported !== this.bytes) this.report();
    cb();
  }

  private report(): void {
    this.reported = this.bytes;
    this.onProgress?.(this.bytes, this.total);
  }
}

const PROGRESS_EVERY = 1024 * 1024;

export interface UploadOptions {
  /** Byte offset in the volume to write at; default 0. */
  offset?: number;
  /** Bytes the source will deliver, when known: checked against the volume and used for progress. */
  length?: number;
  onProgress?: ProgressCallback;
}

/**
 * Streams `source` into the volume (libvirt's virStorageVolUpload). Resolves with the byte count
 * once libvirtd confirmed the end of the data; a source longer than the volume fails the upload.
 * The bytes are written as they are: upload a qcow2 image only into a qcow2 volume, raw into raw.
 */
export async function uploadVolume(
  host: ResolvedHost,
  poolName: string,
  name: string,
  source: Readable,
  options: UploadOptions = {},
): Promise<{ bytes: number }> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  const offset = options.offset ?? 0;
  return withLibvirtContext(context, async () => {
    const { capacityBytes } = await describeVolume(conn, host.id, vol);
    const room = capacityBytes - offset;
    if (offset < 0 || room < 0) throw new ServiceError(`${context}: offset ${offset} is past its end (${capacityBytes} bytes)`, "invalid");
    if (options.length !== undefined && options.length > room) {
      throw new ServiceError(`${context}: ${options.length} bytes do not fit at offset ${offset} (capacity ${capacityBytes} bytes)`, "invalid");
    }
    const meter = new ProgressMeter(options.length ?? null, options.onProgress, options.length ?? room, `${context}: upload`);
    const upload = await conn.storageVolUpload({ vol, offset: BigInt(offset), length: BigInt(options.length ?? 0), flags: 0 });
    await pipeline(source, meter, upload);
    return { bytes: meter.bytes };
  });
}

export interface DownloadOptions {
  offset?: number;
  /** Bytes to read; default to the end. */
  length?: number;
  onProgress?: ProgressCallback;
}

export interface VolumeDownload {
  stream: Readable;
  /** Bytes the stream will deliver (the file's size, or `length`). */
  totalBytes: number;
}

/**
 * A readable stream of the volume's bytes (virStorageVolDownload): the file as stored, so a qcow2
 * volume downloads as a qcow2 image. Destroying the stream aborts the download in libvirtd.
 */
export async function downloadVolume(host: ResolvedHost, poolName: string, name: string, options: DownloadOptions = {}): Promise<VolumeDownload> {
  const { conn, vol, context } = await openVolume(host, poolName, name);
  const offset = options.offset ?? 0;
  return withLibvirtContext(context, async () => {
    // With GET_PHYSICAL, libvirt puts the file's own size where the allocation would be.
    const { allocation: physical } = await conn.storageVolGetInfoFlags({ vol, flags: VIR_STORAGE_VOL_GET_PHYSICAL });
    const size = Number(physical);
    if (offset < 0 || offset > size) throw new ServiceError(`${context}: offset ${offset} is past its end (${size} bytes)`, "invalid");
    const totalBytes = options.length !== undefined ? Math.min(options.length, size - offset) : size - offset;
    const download = await conn.storageVolDownload({ vol, offset: BigInt(offset), length: BigInt(options.length ?? 0), flags: 0 });
    const meter = new ProgressMeter(totalBytes, options.onProgress, null, `${context}: download`);
    // Errors on either side reach the consumer through `meter`; destroying it aborts the download.
    pipeline(download, meter).catch(() => undefined);
    return { stream: meter, totalBytes };
  });
}

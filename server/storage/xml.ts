import { scaledBytes } from "../xml/units";
import { ATTR, attr, buildXml, child, children, parseXml, textOf, type XmlNode } from "../xml/codec";

/**
 * Pure build and parse of libvirt's storage XML (pools, volumes) and of the `<disk>` devices that
 * attach a volume to a VM. No I/O: the services resolve names to paths before calling these.
 */

export const POOL_TYPES = ["dir", "logical", "netfs"] as const;
export type PoolType = (typeof POOL_TYPES)[number];
export const NETFS_FORMATS = ["auto", "nfs", "cifs", "glusterfs"] as const;
export type NetfsFormat = (typeof NETFS_FORMATS)[number];
export const VOLUME_FORMATS = ["qcow2", "raw"] as const;
export type VolumeFormat = (typeof VOLUME_FORMATS)[number];
export const DISK_BUSES = ["virtio", "scsi", "sata"] as const;
export type DiskBus = (typeof DISK_BUSES)[number];

export type PoolSpec =
  /** A directory on the host; `build` creates it. */
  | { type: "dir"; name: string; path: string }
  /** An LVM volume group; `build` creates it on `devices` (none: the group must exist). */
  | { type: "logical"; name: string; vgName: string; devices: string[] }
  /** A network export mounted on `path` when the pool starts. */
  | { type: "netfs"; name: string; host: string; sourcePath: string; format: NetfsFormat; path: string };

export function buildPoolXml(spec: PoolSpec): string {
  const pool: XmlNode = { [`${ATTR}type`]: spec.type, name: spec.name };
  switch (spec.type) {
    case "dir":
      pool.target = { path: spec.path };
      break;
    case "logical":
      pool.source = {
        ...(spec.devices.length ? { device: spec.devices.map((path) => ({ [`${ATTR}path`]: path })) } : {}),
        name: spec.vgName,
        format: { [`${ATTR}type`]: "lvm2" },
      };
      pool.target = { path: `/dev/${spec.vgName}` };
      break;
    case "netfs":
      pool.source = {
        host: { [`${ATTR}name`]: spec.host },
        dir: { [`${ATTR}path`]: spec.sourcePath },
        format: { [`${ATTR}type`]: spec.format },
      };
      pool.target = { path: spec.path };
      break;
  }
  return buildXml({ pool });
}

export interface PoolXmlInfo {
  name: string;
  uuid: string;
  type: string;
  targetPath: string | null;
  source: {
    host: string | null;
    dir: string | null;
    devices: string[];
    /** A logical pool's volume group. */
    name: string | null;
    format: string | null;
  };
}

export function parsePoolXml(xml: string): PoolXmlInfo {
  const pool = child(parseXml(xml, "storage pool XML"), "pool");
  if (!pool) throw new Error("storage pool XML has no <pool> root");
  const source = child(pool, "source");
  return {
    name: textOf(pool.name) ?? "",
    uuid: textOf(pool.uuid) ?? "",
    type: attr(pool, "type") ?? "",
    targetPath: textOf(child(pool, "target")?.path) ?? null,
    source: {
      host: attr(children(source, "host")[0], "name") ?? null,
      dir: attr(child(source, "dir"), "path") ?? null,
      devices: children(source, "device")
        .map((d) => attr(d, "path"))
        .filter((p): p is string => Boolean(p)),
      name: textOf(source?.name) ?? null,
      format: attr(child(source, "format"), "type") ?? null,
    },
  };
}

export interface VolumeBuildSpec {
  name: string;
  capacityBytes: number;
  /** Omitted for pools whose volumes have no format of their own (logical: always raw LVs). */
  format?: VolumeFormat;
  /** Bytes to allocate up front; default 0 (sparse / thin). */
  allocationBytes?: number;
  /** A qcow2 overlay's backing image (a linked clone reads it for every block it has not written). */
  backingStore?: { path: string; format: string };
}

export function buildVolumeXml(spec: VolumeBuildSpec): string {
  return buildXml({
    volume: {
      name: spec.name,
      capacity: { [`${ATTR}unit`]: "bytes", "#text": String(spec.capacityBytes) },
      allocation: { [`${ATTR}unit`]: "bytes", "#text": String(spec.allocationBytes ?? 0) },
      ...(spec.format ? { target: { format: { [`${ATTR}type`]: spec.format } } } : {}),
      ...(spec.backingStore ? { backingStore: { path: spec.backingStore.path, format: { [`${ATTR}type`]: spec.backingStore.format } } } : {}),
    },
  });
}

export interface VolumeXmlInfo {
  name: string;
  key: string;
  /** file, block, dir, network… */
  type: string;
  path: string | null;
  format: string | null;
  capacityBytes: number;
  allocationBytes: number;
  /** The file's own size, where libvirt reports it (qcow2: less than the capacity). */
  physicalBytes: number | null;
  /** The image this one is an overlay of (external snapshots, linked clones). */
  backingPath: string | null;
}

/** A libvirt scaled integer (`<capacity unit='GiB'>2</capacity>`) in bytes. */
export function bytesOf(node: unknown): number | null {
  return scaledBytes(node, "bytes");
}

export function parseVolumeXml(xml: string): VolumeXmlInfo {
  const volume = child(parseXml(xml, "storage volume XML"), "volume");
  if (!volume) throw new Error("storage volume XML has no <volume> root");
  const target = child(volume, "target");
  return {
    name: textOf(volume.name) ?? "",
    key: textOf(volume.key) ?? "",
    type: attr(volume, "type") ?? "file",
    path: textOf(target?.path) ?? null,
    format: attr(child(target, "format"), "type") ?? null,
    capacityBytes: bytesOf(volume.capacity) ?? 0,
    allocationBytes: bytesOf(volume.allocation) ?? 0,
    physicalBytes: bytesOf(volume.physical),
    backingPath: textOf(child(volume, "backingStore")?.path) ?? null,
  };
}

export interface DiskDeviceSpec {
  /** The volume's path on the host: a file, or a block device for `type: "block"`. */
  path: string;
  type: "file" | "block";
  format: string;
  target: string;
  bus: DiskBus;
  readonly?: boolean;
}

/** The `<disk>` device that attaches one volume. */
export function buildDiskDeviceXml(spec: DiskDeviceSpec): string {
  return buildXml({
    disk: {
      [`${ATTR}type`]: spec.type,
      [`${ATTR}device`]: "disk",
      driver: { [`${ATTR}name`]: "qemu", [`${ATTR}type`]: spec.format },
      source: spec.type === "block" ? { [`${ATTR}dev`]: spec.path } : { [`${ATTR}file`]: spec.path },
      target: { [`${ATTR}dev`]: spec.target, [`${ATTR}bus`]: spec.bus },
      ...(spec.readonly ? { readonly: "" } : {}),
    },
  });
}

const MAX_LETTERS = 26;

/** `vd`/`sd` target name prefix of a bus (virtio → vdX, SCSI and SATA → sdX). */
export function targetPrefix(bus: DiskBus): "vd" | "sd" {
  return bus === "virtio" ? "vd" : "sd";
}

/** The first target name of the bus's prefix (vda, vdb, … vdz) that none of `used` takes. */
export function nextFreeTarget(bus: DiskBus, used: Iterable<string>): string | null {
  const taken = new Set(used);
  const prefix = targetPrefix(bus);
  for (let i = 0; i < MAX_LETTERS; i++) {
    const name = `${prefix}${String.fromCharCode(97 + i)}`;
    if (!taken.has(name)) return name;
  }
  return null;
}

function domainDisks(domainXml: string): XmlNode[] {
  const domain = child(parseXml(domainXml, "domain XML"), "domain");
  return children(child(domain, "devices"), "disk");
}

/** Target names of every disk, CD-ROM included, of a domain XML. */
export function diskTargets(domainXml: string): string[] {
  return domainDisks(domainXml)
    .map((d) => attr(child(d, "target"), "dev"))
    .filter((t): t is string => Boolean(t));
}

/** Host paths of a domain's disks (`file` and `block` sources). */
export function diskSourcePaths(domainXml: string): string[] {
  return domainDisks(domainXml)
    .map((d) => attr(child(d, "source"), "file") ?? attr(child(d, "source"), "dev"))
    .filter((p): p is string => Boolean(p));
}

/** Disks that name a pool's volume directly (`<disk type='volume'><source pool='p' volume='v'/>`). */
export function diskPoolVolumes(domainXml: string): { pool: string; volume: string }[] {
  return domainDisks(domainXml).flatMap((d) => {
    const source = child(d, "source");
    const pool = attr(source, "pool");
    const volume = attr(source, "volume");
    return attr(d, "type") === "volume" && pool && volume ? [{ pool, volume }] : [];
  });
}

/** The target (vda…) of the disk whose source is `path`, or null. */
export function diskTargetOfPath(domainXml: string, path: string): string | null {
  for (const d of domainDisks(domainXml)) {
    const source = child(d, "source");
    if ((attr(source, "file") ?? attr(source, "dev")) === path) return attr(child(d, "target"), "dev") ?? null;
  }
  return null;
}

export interface DiskElement {
  /** The element re-serialised from the domain's own XML, as libvirt wants it for a detach (virsh detach-disk does the same). */
  xml: string;
  source: string | null;
}

/** The disk with target `target` of a domain XML, or null. */
export function findDisk(domainXml: string, target: string): DiskElement | null {
  const disk = domainDisks(domainXml).find((d) => attr(child(d, "target"), "dev") === target);
  if (!disk) return null;
  return { xml: buildXml({ disk }), source: attr(child(disk, "source"), "file") ?? attr(child(disk, "source"), "dev") ?? null };
}

export interface DiskChain {
  target: string;
  device: string;
  readonly: boolean;
  /** The disk's own file or device, then its backing files as the XML lists them (a running VM's live XML lists the whole chain). */
  paths: string[];
  /** A `<disk type='volume'>` names its pool's volume instead of a path. */
  poolVolume: { pool: string; volume: string } | null;
}

function sourcePath(node: XmlNode | undefined): string | null {
  const source = child(node, "source");
  return attr(source, "file") ?? attr(source, "dev") ?? null;
}

/** Every disk of a domain XML with the files it reads: its source and the `<backingStore>` chain below it. */
export function diskChains(domainXml: string): DiskChain[] {
  return domainDisks(domainXml).map((d) => {
    const paths: string[] = [];
    const own = sourcePath(d);
    if (own) paths.push(own);
    // An empty <backingStore/> ends the chain; depth is bounded so a hostile document cannot loop us.
    for (let bs = child(d, "backingStore"), depth = 0; bs && depth < 64; bs = child(bs, "backingStore"), depth++) {
      const path = sourcePath(bs);
      if (!path) break;
      paths.push(path);
    }
    const source = child(d, "source");
    const pool = attr(source, "pool");
    const volume = attr(source, "volume");
    return {
      target: attr(child(d, "target"), "dev") ?? "",
      device: attr(d, "device") ?? "disk",
      readonly: "readonly" in d,
      paths,
      poolVolume: attr(d, "type") === "volume" && pool && volume ? { pool, volume } : null,
    };
  });
}

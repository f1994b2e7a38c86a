import type { Connection, protocol } from "../libvirt";
import { isLibvirtError, isNoDomain, isNoStorageVol, uuidToString, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE, VIR_DOMAIN_XML_INACTIVE } from "../libvirt";
import { diskChains, parsePoolXml, parseVolumeXml } from "./xml";

/**
 * Which VMs of a host read which files: each disk's own file and every backing file below it
 * (external snapshots, linked clones), from both of a VM's definitions (a disk may be in one only).
 * The chain is what the domain XML lists (a running VM's live XML lists it whole) continued through
 * the pools' volumes (libvirt reads each qcow2 header for its backing file).
 */

export interface DiskUse {
  uuid: string;
  name: string;
  /** The disk's target (vda…). */
  target: string;
  running: boolean;
  /** The file is a backing file under that disk, not the disk's own file. */
  backing: boolean;
}

export interface VmDiskFiles {
  target: string;
  device: string;
  readonly: boolean;
  /** The disk's own file first, then its backing files, deduplicated. */
  files: string[];
}

/** Backing files already read, by path (null: none, or not a volume of an active pool). */
export type BackingMemo = Map<string, string | null>;

const MAX_CHAIN = 64;

async function backingOf(conn: Connection, path: string, memo: BackingMemo): Promise<string | null> {
  const known = memo.get(path);
  if (known !== undefined) return known;
  let backing: string | null = null;
  try {
    const vol = await conn.storageVolLookupByPath({ path });
    backing = parseVolumeXml(await conn.storageVolGetXmlDesc({ vol, flags: 0 })).backingPath;
  } catch (err) {
    // Not in an active pool, or its file is gone: the chain ends here as far as libvirt can tell.
    if (!isLibvirtError(err)) throw err;
  }
  memo.set(path, backing);
  return backing;
}

/** `start` (from the XML) continued through the volumes' backing files, without repeats. */
async function extendChain(conn: Connection, start: string[], memo: BackingMemo): Promise<string[]> {
  const chain = [...new Set(start)];
  for (let last = chain.at(-1); last && chain.length < MAX_CHAIN;) {
    const next = await backingOf(conn, last, memo);
    if (!next || chain.includes(next)) break;
    chain.push(next);
    last = next;
  }
  return chain;
}

async function poolVolumePath(conn: Connection, pool: string, volume: string): Promise<string | null> {
  try {
    const poolRef = await conn.storagePoolLookupByName({ name: pool });
    return await conn.storageVolGetPath({ vol: await conn.storageVolLookupByName({ pool: poolRef, name: volume }) });
  } catch (err) {
    if (!isLibvirtError(err)) throw err;
    return null;
  }
}

/** The files each disk of a VM reads, from its live and saved definitions; null when the VM vanished meanwhile. */
export async function vmDiskFiles(
  conn: Connection,
  dom: protocol.NonnullDomain,
  memo: BackingMemo = new Map(),
): Promise<{ running: boolean; disks: VmDiskFiles[] } | null> {
  const read = (flags: typeof VIR_DOMAIN_XML_INACTIVE | 0) =>
    conn.domainGetXmlDesc({ dom, flags }).catch((err: unknown) => (isNoDomain(err) ? null : Promise.reject(err)));
  const active = await conn.domainIsActive({ dom }).catch((err: unknown) => (isNoDomain(err) ? null : Promise.reject(err)));
  if (active === null) return null;
  const docs = (await Promise.all([active === 1 ? read(0) : null, read(VIR_DOMAIN_XML_INACTIVE)])).filter((x): x is string => x !== null);
  const byTarget = new Map<string, VmDiskFiles>();
  for (const disk of docs.flatMap(diskChains)) {
    const start = disk.poolVolume
      ? [await poolVolumePath(conn, disk.poolVolume.pool, disk.poolVolume.volume)].filter((p): p is string => p !== null)
      : disk.paths;
    const files = await extendChain(conn, start, memo);
    const known = byTarget.get(disk.target);
    if (known) known.files = [...new Set([...known.files, ...files])];
    else byTarget.set(disk.target, { target: disk.target, device: disk.device, readonly: disk.readonly, files });
  }
  return { running: active === 1, disks: [...byTarget.values()] };
}

/** Every file any VM of the host reads, with the VMs and disks that read it. */
export async function diskUsers(conn: Connection, memo: BackingMemo = new Map()): Promise<Map<string, DiskUse[]>> {
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
  const users = new Map<string, DiskUse[]>();
  const perVm = await Promise.all(domains.map(async (dom) => ({ dom, files: await vmDiskFiles(conn, dom, memo) })));
  for (const { dom, files } of perVm) {
    if (!files) continue;
    for (const disk of files.disks) {
      disk.files.forEach((path, i) => {
        const use: DiskUse = { uuid: uuidToString(dom.uuid), name: dom.name, target: disk.target, running: files.running, backing: i > 0 };
        const list = users.get(path) ?? [];
        // One VM may read a file through two disks; each disk is named.
        if (!list.some((u) => u.uuid === use.uuid && u.target === use.target)) list.push(use);
        users.set(path, list);
      });
    }
  }
  return users;
}

/** Re-reads every active pool, so files made outside libvirt's storage API (virsh snapshot overlays) are volumes. */
export async function refreshActivePools(conn: Connection): Promise<void> {
  const { pools } = await conn.connectListAllStoragePools({ needResults: 1, flags: VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE });
  await Promise.all(
    pools.map((pool) => conn.storagePoolRefresh({ pool, flags: 0 }).catch((err: unknown) => (isLibvirtError(err) ? undefined : Promise.reject(err)))),
  );
}

export interface MissingDiskFile {
  target: string;
  path: string;
  /** A backing file under the disk, not the disk's own file. */
  backing: boolean;
}

/** Target directories of the host's active pools: a file expected there that libvirt does not find is gone. */
async function activePoolDirs(conn: Connection): Promise<Set<string>> {
  const { pools } = await conn.connectListAllStoragePools({ needResults: 1, flags: VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE });
  const xmls = await Promise.all(
    pools.map((pool) => conn.storagePoolGetXmlDesc({ pool, flags: 0 }).catch((err: unknown) => (isLibvirtError(err) ? null : Promise.reject(err)))),
  );
  return new Set(xmls.flatMap((xml) => (xml ? [parsePoolXml(xml).targetPath].filter((p): p is string => p !== null) : [])));
}

/**
 * Files of a VM's disks (own or backing) that are gone from the host, as far as libvirt can tell:
 * a volume whose file no longer exists (libvirt re-reads it), or a path in an active pool's
 * directory that the pool does not hold. A file outside every pool cannot be checked this way.
 */
export async function missingDiskFiles(conn: Connection, disks: readonly VmDiskFiles[]): Promise<MissingDiskFile[]> {
  let poolDirs: Promise<Set<string>> | null = null;
  const gone = async (path: string): Promise<boolean> => {
    try {
      const vol = await conn.storageVolLookupByPath({ path });
      await conn.storageVolGetInfo({ vol });
      return false;
    } catch (err) {
      if (!isLibvirtError(err)) throw err;
      if (!isNoStorageVol(err)) return true;
      poolDirs ??= activePoolDirs(conn);
      return (await poolDirs).has(path.slice(0, path.lastIndexOf("/")));
    }
  };
  const checks = disks.flatMap((d) => d.files.map(async (path, i) => ((await gone(path)) ? [{ target: d.target, path, backing: i > 0 }] : [])));
  return (await Promise.all(checks)).flat();
}

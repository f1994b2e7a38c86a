import type { Connection, protocol, VirDomainXMLFlags } from "../libvirt";
import { isNoDomain, isNoStorageVol, VIR_DOMAIN_XML_INACTIVE } from "../libvirt";
import type { SessionUser } from "../users/service";
import { userCoversHost } from "../hosts/scope";
import { vmsInScope } from "../domains/lookup";
import { ServiceError } from "../errors";
import { diskPoolVolumes, diskSourcePaths } from "./xml";

/**
 * Which storage of a host a user may see. Pools and volumes serve every VM of the host, so they
 * are shown whole only to users whose grants cover the host (`coversHost`). A user narrowed to
 * some VMs sees the volumes attached to those VMs (as disks or CD-ROMs, in the running VM or its
 * saved definition), and of the pools only those holding such a volume: by name and state, so the
 * volumes can be reached, without the pool's host-wide figures (see `PoolInfo.scope`). Everything
 * else answers "not found", the same words whether it exists or not.
 */
export type StorageView = { whole: true } | { whole: false; volumes: ReadonlyMap<string, ReadonlySet<string>> };

/** Both definitions of a VM (a disk may be in one only), or none when it vanished meanwhile. */
async function domainXmls(conn: Connection, dom: protocol.NonnullDomain): Promise<string[]> {
  const read = (flags: VirDomainXMLFlags | 0) => conn.domainGetXmlDesc({ dom, flags }).catch((err: unknown) => (isNoDomain(err) ? null : Promise.reject(err)));
  const docs = await Promise.all([read(0), read(VIR_DOMAIN_XML_INACTIVE)]);
  return docs.filter((x): x is string => x !== null);
}

/** Pool and name of the volume at a disk's path; null for a path no active pool holds (a kernel, a file outside pools). */
async function volumeAt(conn: Connection, path: string): Promise<{ pool: string; volume: string } | null> {
  const vol = await conn.storageVolLookupByPath({ path }).catch((err: unknown) => (isNoStorageVol(err) ? null : Promise.reject(err)));
  return vol && { pool: vol.pool, volume: vol.name };
}

export async function storageView(conn: Connection, user: SessionUser, hostId: string): Promise<StorageView> {
  if (userCoversHost(user, hostId)) return { whole: true };
  const docs = (await Promise.all((await vmsInScope(user, hostId, conn)).map((dom) => domainXmls(conn, dom)))).flat();
  const byPath = await Promise.all([...new Set(docs.flatMap(diskSourcePaths))].map((path) => volumeAt(conn, path)));
  const volumes = new Map<string, Set<string>>();
  for (const ref of [...docs.flatMap(diskPoolVolumes), ...byPath]) {
    if (!ref) continue;
    if (!volumes.has(ref.pool)) volumes.set(ref.pool, new Set());
    volumes.get(ref.pool)!.add(ref.volume);
  }
  return { whole: false, volumes };
}

export function poolVisible(view: StorageView, pool: string): boolean {
  return view.whole || view.volumes.has(pool);
}

export function volumeVisible(view: StorageView, pool: string, volume: string): boolean {
  return view.whole || (view.volumes.get(pool)?.has(volume) ?? false);
}

export function notFound(context: string): ServiceError {
  return new ServiceError(`${context}: not found`, "not_found");
}

import type { SessionUser } from "../users/service";
import type { Connection, protocol } from "../libvirt";
import {
  isNoStoragePool,
  LibvirtError,
  uuidToString,
  virStoragePoolState,
  VIR_STORAGE_POOL_BUILD_NEW,
  VIR_STORAGE_POOL_DELETE_NORMAL,
  VIR_STORAGE_VOL_DELETE_NORMAL,
} from "../libvirt";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { buildPoolXml, parsePoolXml, type PoolSpec, type PoolXmlInfo } from "./xml";
import { notFound, poolVisible, storageView } from "./scope";
import { diskUsers } from "./users";

/** Storage pools of a host: define, build, start, stop, refresh, delete, autostart, list. */

export type PoolState = "inactive" | "building" | "running" | "degraded" | "inaccessible" | "unknown";

interface PoolFacts {
  hostId: string;
  name: string;
  uuid: string;
  type: string;
  state: PoolState;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
}

/** A pool as users who cover its host see it. */
export interface HostPoolInfo extends PoolFacts {
  scope: "host";
  capacityBytes: number;
  allocationBytes: number;
  availableBytes: number;
  targetPath: string | null;
  source: PoolXmlInfo["source"];
}

/**
 * A pool as a user narrowed to some VMs sees it, for the volumes of theirs it holds: which pool
 * and whether it runs, without its sizes (everyone's use of the host's disks), path or source.
 */
export interface AttachedPoolInfo extends PoolFacts {
  scope: "attached";
}

export type PoolInfo = HostPoolInfo | AttachedPoolInfo;

const STATE_NAMES = new Map<number, PoolState>(Object.entries(virStoragePoolState).map(([k, v]) => [v, k.toLowerCase() as PoolState]));

/** One of the host's pools, looked up by name; an unknown name is a not_found ServiceError naming it. */
export async function openPool(host: ResolvedHost, name: string): Promise<{ conn: Connection; pool: protocol.NonnullStoragePool; context: string }> {
  const { conn } = host;
  const context = auditTargets.pool(host.id, name);
  const pool = await withLibvirtContext(context, () => conn.storagePoolLookupByName({ name }));
  return { conn, pool, context };
}

async function describePool(conn: Connection, hostId: string, pool: protocol.NonnullStoragePool): Promise<HostPoolInfo> {
  const [info, autostart, persistent, xml] = await Promise.all([
    conn.storagePoolGetInfo({ pool }),
    conn.storagePoolGetAutostart({ pool }),
    conn.storagePoolIsPersistent({ pool }),
    conn.storagePoolGetXmlDesc({ pool, flags: 0 }),
  ]);
  const parsed = parsePoolXml(xml);
  return {
    hostId,
    name: pool.name,
    uuid: uuidToString(pool.uuid),
    type: parsed.type,
    state: STATE_NAMES.get(info.state) ?? "unknown",
    active: info.state === virStoragePoolState.RUNNING || info.state === virStoragePoolState.DEGRADED,
    persistent: persistent === 1,
    autostart: autostart === 1,
    scope: "host",
    capacityBytes: Number(info.capacity),
    allocationBytes: Number(info.allocation),
    availableBytes: Number(info.available),
    targetPath: parsed.targetPath,
    source: parsed.source,
  };
}

function attachedView({ hostId, name, uuid, type, state, active, persistent, autostart }: HostPoolInfo): AttachedPoolInfo {
  return { hostId, name, uuid, type, state, active, persistent, autostart, scope: "attached" };
}

/** Every pool of the host, or for a user narrowed to some VMs the pools holding their volumes. */
export async function listPools(host: ResolvedHost, user: SessionUser): Promise<PoolInfo[]> {
  const { conn } = host;
  return withLibvirtContext(`storage pools on ${host.context}`, async () => {
    const view = await storageView(conn, user, host.id);
    const { pools } = await conn.connectListAllStoragePools({ needResults: 1, flags: 0 });
    const infos = await Promise.all(
      pools
        .filter((pool) => poolVisible(view, pool.name))
        // A pool undefined between the listing and the look-up is simply no longer there.
        .map((pool) => describePool(conn, host.id, pool).catch((err: unknown) => (isNoStoragePool(err) ? null : Promise.reject(err)))),
    );
    return infos
      .filter((p): p is HostPoolInfo => p !== null)
      .map((p): PoolInfo => (view.whole ? p : attachedView(p)))
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

export async function getPool(host: ResolvedHost, user: SessionUser, name: string): Promise<PoolInfo> {
  const { conn } = host;
  const context = auditTargets.pool(host.id, name);
  return withLibvirtContext(context, async () => {
    const view = await storageView(conn, user, host.id);
    if (!poolVisible(view, name)) throw notFound(context);
    const pool = await conn.storagePoolLookupByName({ name });
    const info = await describePool(conn, host.id, pool);
    return view.whole ? info : attachedView(info);
  });
}

export interface DefinePoolOptions {
  /** Create what the pool needs on the host first (a dir pool's directory, an LVM volume group). */
  build?: boolean;
  start?: boolean;
  autostart?: boolean;
}

/**
 * Defines a persistent pool, and optionally builds, starts it and marks it autostart. All or
 * nothing: when a later step fails, the new definition is removed again and the error names the step.
 */
export async function definePool(host: ResolvedHost, spec: PoolSpec, options: DefinePoolOptions = {}): Promise<HostPoolInfo> {
  const { conn } = host;
  const context = auditTargets.pool(host.id, spec.name);
  const pool = await withLibvirtContext(context, async () => {
    const existing = await conn.storagePoolLookupByName({ name: spec.name }).catch((err: unknown) => (isNoStoragePool(err) ? null : Promise.reject(err)));
    if (existing) throw new ServiceError(`${context}: already exists`, "conflict");
    const pool = await conn.storagePoolDefineXml({ xml: buildPoolXml(spec), flags: 0 });
    let step = "build";
    try {
      if (options.build) await conn.storagePoolBuild({ pool, flags: VIR_STORAGE_POOL_BUILD_NEW });
      step = "start";
      if (options.start) await conn.storagePoolCreate({ pool, flags: 0 });
      step = "autostart";
      if (options.autostart) await conn.storagePoolSetAutostart({ pool, autostart: 1 });
    } catch (err) {
      if ((await conn.storagePoolIsActive({ pool }).catch(() => 0)) === 1) await conn.storagePoolDestroy({ pool }).catch(() => undefined);
      await conn.storagePoolUndefine({ pool }).catch(() => undefined);
      const detail = err instanceof LibvirtError ? err.libvirtMessage : (err as Error).message;
      throw new ServiceError(`${context}: ${step} failed, so the pool was not kept: libvirt: ${detail}`, "invalid", { cause: err });
    }
    return pool;
  });
  return withLibvirtContext(context, () => describePool(conn, host.id, pool));
}

/** Creates the pool's backing on the host: a dir pool's directory (mode 0711), an LVM volume group on its devices. */
export async function buildPool(host: ResolvedHost, name: string): Promise<void> {
  const { conn, pool, context } = await openPool(host, name);
  await withLibvirtContext(context, () => conn.storagePoolBuild({ pool, flags: VIR_STORAGE_POOL_BUILD_NEW }));
}

export async function startPool(host: ResolvedHost, name: string): Promise<void> {
  const { conn, pool, context } = await openPool(host, name);
  await withLibvirtContext(context, () => conn.storagePoolCreate({ pool, flags: 0 }));
}

/** Deactivates the pool (unmounts a netfs pool); its volumes stay on disk. */
export async function stopPool(host: ResolvedHost, name: string): Promise<void> {
  const { conn, pool, context } = await openPool(host, name);
  await withLibvirtContext(context, () => conn.storagePoolDestroy({ pool }));
}

/** Re-reads the pool's volumes and sizes from the host (files copied in by hand appear). */
export async function refreshPool(host: ResolvedHost, name: string): Promise<void> {
  const { conn, pool, context } = await openPool(host, name);
  await withLibvirtContext(context, () => conn.storagePoolRefresh({ pool, flags: 0 }));
}

export async function setPoolAutostart(host: ResolvedHost, name: string, autostart: boolean): Promise<void> {
  const { conn, pool, context } = await openPool(host, name);
  await withLibvirtContext(context, () => conn.storagePoolSetAutostart({ pool, autostart: autostart ? 1 : 0 }));
}

export interface DeletePoolOptions {
  /**
   * Also remove what `build` made: a dir pool's directory, an LVM volume group. Without it only
   * libvirt's definition goes and the data stays.
   */
  deleteData?: boolean;
  /** With `deleteData`: delete the pool's volumes first. A running pool holding volumes is not deleted with its data otherwise. */
  deleteVolumes?: boolean;
}

/**
 * Stops the pool if it runs, optionally deletes its volumes and backing, then forgets it. Checked
 * before anything changes: deleting the data of a running pool that holds volumes needs
 * `deleteVolumes`, and never deletes a volume a VM reads. If a step fails after the pool was
 * stopped, it is started again and the error says which state it is left in.
 */
export async function deletePool(host: ResolvedHost, name: string, options: DeletePoolOptions = {}): Promise<{ deletedVolumes: string[] }> {
  const { conn, pool, context } = await openPool(host, name);
  return withLibvirtContext(context, async () => {
    const wasActive = (await conn.storagePoolIsActive({ pool })) === 1;
    // Re-read first: the check must see files added or removed outside libvirt since the last refresh.
    if (options.deleteData && wasActive) await conn.storagePoolRefresh({ pool, flags: 0 });
    const vols = options.deleteData && wasActive ? (await conn.storagePoolListAllVolumes({ pool, needResults: 1, flags: 0 })).vols : [];
    if (vols.length && !options.deleteVolumes) {
      const names = vols.map((v) => v.name).sort();
      throw new ServiceError(
        `${context}: it holds ${names.length} volume${names.length === 1 ? "" : "s"} (${names.join(", ")}); delete the volumes too, or delete them first, before deleting its data`,
        "conflict",
      );
    }
    if (vols.length) {
      const users = await diskUsers(conn);
      const paths = await Promise.all(vols.map((vol) => conn.storageVolGetPath({ vol })));
      const inUse = vols.flatMap((v, i) => (users.get(paths[i]!) ?? []).map((u) => `${v.name} (VM "${u.name}")`));
      if (inUse.length) throw new ServiceError(`${context}: VMs read some of its volumes: ${inUse.join(", ")}; detach them first`, "conflict");
      for (const vol of vols) await conn.storageVolDelete({ vol, flags: VIR_STORAGE_VOL_DELETE_NORMAL });
    }
    if (wasActive) await conn.storagePoolDestroy({ pool });
    if (options.deleteData) {
      try {
        await conn.storagePoolDelete({ pool, flags: VIR_STORAGE_POOL_DELETE_NORMAL });
      } catch (err) {
        const restarted =
          wasActive &&
          (await conn.storagePoolCreate({ pool, flags: 0 }).then(
            () => true,
            () => false,
          ));
        const detail = err instanceof LibvirtError ? err.libvirtMessage : (err as Error).message;
        const state = wasActive ? (restarted ? "it was started again" : "it is stopped now, and starting it again failed") : "it stays stopped";
        throw new ServiceError(`${context}: deleting its data failed (libvirt: ${detail}); the pool is still defined and ${state}`, "conflict", { cause: err });
      }
    }
    // A transient pool is gone once stopped.
    if ((await conn.storagePoolIsPersistent({ pool }).catch((err: unknown) => (isNoStoragePool(err) ? 0 : Promise.reject(err)))) === 1) {
      await conn.storagePoolUndefine({ pool });
    }
    return { deletedVolumes: vols.map((v) => v.name).sort() };
  });
}

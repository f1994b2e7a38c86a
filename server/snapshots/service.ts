import type { protocol } from "../libvirt";
import {
  decodeTypedParams,
  hasErrorCode,
  VIR_ERR_NO_SUPPORT,
  uuidToString,
  isNoDomainSnapshot,
  virDomainState,
  VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN,
  VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED,
  VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING,
  VIR_DOMAIN_XML_INACTIVE,
} from "../libvirt";
import type { ResolvedVm } from "../domains/lookup";
import { vmStateName, type VmState } from "../domains/power";
import { auditTargets } from "../audit/targets";
import { parseDomainXml } from "../domains/xml";
import { withLibvirtContext, ServiceError } from "../errors";
import { refuseSnapshot } from "./choices";
import { syncGuestTimeAfter } from "../guest/admin";
import { taskRunner, type TaskHandle } from "../tasks/runner";
import type { Db } from "../db/client";
import { buildSnapshotXml, parseSnapshotXml, snapshotTree, subtree, type SnapshotNode } from "./xml";

/**
 * Snapshots of a VM, always internal (inside its qcow2 disks): a running VM's with its memory,
 * revertible to the running state; a stopped VM's of its disks only. A disk-only snapshot of a
 * running VM is refused: it would be an external overlay that libvirt 9.0 can neither revert nor
 * delete (see `choices.ts`). External snapshots made outside the manager are still listed, and
 * deleting the VM with its storage removes their overlay files (`domains/owned-files.ts`).
 */

export type SnapshotInfo = SnapshotNode;

export interface SnapshotList {
  current: string | null;
  /** Depth-first: each parent before its children. */
  snapshots: SnapshotInfo[];
}

function snapshotContext(vm: ResolvedVm, name: string): string {
  return auditTargets.inVm(vm.context, `snapshot "${name}"`);
}

async function readSnapshots(vm: ResolvedVm): Promise<SnapshotList> {
  const { conn, dom } = vm;
  const { snapshots } = await conn.domainListAllSnapshots({ dom, needResults: 1, flags: 0 });
  const parsed = await Promise.all(
    snapshots.map(async (snap) => {
      try {
        const [xml, isCurrent] = await Promise.all([conn.domainSnapshotGetXmlDesc({ snap, flags: 0 }), conn.domainSnapshotIsCurrent({ snap, flags: 0 })]);
        return { info: parseSnapshotXml(xml), current: isCurrent === 1 };
      } catch (err) {
        // Deleted between the listing and the read.
        if (isNoDomainSnapshot(err)) return null;
        throw err;
      }
    }),
  );
  const present = parsed.filter((p): p is NonNullable<typeof p> => p !== null);
  const current = present.find((p) => p.current)?.info.name ?? null;
  return {
    current,
    snapshots: snapshotTree(
      present.map((p) => p.info),
      current,
    ),
  };
}

export async function listSnapshots(vm: ResolvedVm): Promise<SnapshotList> {
  return withLibvirtContext(vm.context, () => readSnapshots(vm));
}

async function lookupSnapshot(vm: ResolvedVm, name: string): Promise<protocol.NonnullDomainSnapshot> {
  return withLibvirtContext(snapshotContext(vm, name), () => vm.conn.domainSnapshotLookupByName({ dom: vm.dom, name, flags: 0 }));
}

export interface CreateSnapshotSpec {
  name: string;
  description?: string;
  /** With the running VM's memory (a running VM must); without, of a stopped VM's disks. Every writable disk must be qcow2. */
  memory: boolean;
}

/** How often a snapshot task reads libvirt's job statistics while QEMU saves the memory. */
const JOB_POLL_MS = 1000;

/**
 * Follows libvirt's job on the VM (domainGetJobStats) into the task until `until` settles: bytes
 * from the job's data or memory counters when QEMU reports them (an internal snapshot's savevm
 * often reports none: the task then shows no percentage, only that it runs).
 */
async function followJob(vm: ResolvedVm, task: TaskHandle, until: Promise<unknown>): Promise<void> {
  let settled = false;
  void until.finally(() => (settled = true)).catch(() => undefined);
  while (!settled) {
    await Promise.race([until.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS))]);
    if (settled) break;
    const stats = await vm.conn.domainGetJobStats({ dom: vm.dom, flags: 0 }).catch(() => null);
    if (!stats) continue;
    const p = decodeTypedParams(stats.params);
    const total = Number(p.data_total ?? p.memory_total ?? NaN);
    const done = Number(p.data_processed ?? p.memory_processed ?? NaN);
    if (Number.isFinite(total) && total > 0 && Number.isFinite(done)) task.progress({ bytesDone: done, bytesTotal: total });
  }
}

/**
 * libvirt 9.0 refuses a snapshot of a shut-off VM that has checkpoints ("cannot perform block
 * operations while checkpoint exists"), and cannot delete a checkpoint while the VM is off; its
 * backups leave one each (server/backups/README.md). Said in words before libvirt says it in its own.
 */
async function refuseWhileCheckpointed(vm: ResolvedVm, context: string): Promise<void> {
  // A driver without checkpoints (libvirt's test driver) has none to be in the way.
  const listed = await vm.conn
    .domainListAllCheckpoints({ dom: vm.dom, needResults: 1, flags: 0 })
    .catch((err: unknown) => (hasErrorCode(err, VIR_ERR_NO_SUPPORT) ? null : Promise.reject(err)));
  const checkpoints = listed?.checkpoints ?? [];
  if (checkpoints.length === 0) return;
  throw new ServiceError(
    `${context}: libvirt cannot snapshot this VM while it is shut off, because its backups keep ${checkpoints.length} checkpoint(s) in it for incremental backups; start the VM and take the snapshot with its memory`,
    "conflict",
  );
}

export async function createSnapshot(vm: ResolvedVm, spec: CreateSnapshotSpec, task?: TaskHandle): Promise<SnapshotInfo> {
  const context = snapshotContext(vm, spec.name);
  await withLibvirtContext(context, async () => {
    const { conn, dom } = vm;
    const existing = await conn
      .domainSnapshotLookupByName({ dom, name: spec.name, flags: 0 })
      .catch((err: unknown) => (isNoDomainSnapshot(err) ? null : Promise.reject(err)));
    if (existing) throw new ServiceError(`${context}: already exists`, "conflict");
    const { state } = await conn.domainGetState({ dom, flags: 0 });
    const active = state === virDomainState.RUNNING || state === virDomainState.PAUSED || state === virDomainState.BLOCKED;
    const details = parseDomainXml(await conn.domainGetXmlDesc({ dom, flags: active ? 0 : VIR_DOMAIN_XML_INACTIVE }));
    const refusal = refuseSnapshot(active, details.disks, spec.memory ? "memory" : "disk");
    if (refusal) throw new ServiceError(`${context}: ${refusal}`, "invalid");
    if (!active) await refuseWhileCheckpointed(vm, context);
    const xml = buildSnapshotXml({ name: spec.name, description: spec.description, memory: spec.memory ? "internal" : "none" });
    const creating = conn.domainSnapshotCreateXml({ dom, xmlDesc: xml, flags: 0 });
    if (task) {
      task.log(spec.memory ? "Saving the disks and the memory" : "Saving the disks");
      await followJob(vm, task, creating);
    }
    await creating;
  });
  const created = (await withLibvirtContext(vm.context, () => readSnapshots(vm))).snapshots.find((s) => s.name === spec.name);
  if (!created) throw new ServiceError(`${context}: created, but libvirt no longer lists it`, "conflict");
  return created;
}

/**
 * Takes a snapshot the way a user's request does: one with memory runs as a task (server/tasks/:
 * QEMU writes all of the guest's RAM, which takes a while; libvirt cannot abort it), a disk-only
 * one takes a moment and runs plainly (`taskId` null).
 */
export async function takeSnapshot(
  db: Db,
  user: { id: number; username: string },
  vm: ResolvedVm,
  spec: CreateSnapshotSpec,
): Promise<SnapshotInfo & { taskId: string | null }> {
  if (!spec.memory) return { ...(await createSnapshot(vm, spec)), taskId: null };
  const { id, done } = taskRunner(db).run(
    {
      kind: "snapshot.memory",
      target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid: uuidToString(vm.dom.uuid) },
      user,
      detail: spec.name,
    },
    (task) => createSnapshot(vm, spec, task),
    (snapshot) => ({ snapshot: snapshot.name }),
  );
  return { ...(await done), taskId: id };
}

export interface RevertOptions {
  /** The VM's state afterwards; default the state the snapshot was taken in. */
  state?: "running" | "paused";
}

/** Returns the VM to the snapshot; what happened since is lost (the snapshot stays). */
export async function revertSnapshot(vm: ResolvedVm, name: string, options: RevertOptions = {}): Promise<{ state: VmState }> {
  const snap = await lookupSnapshot(vm, name);
  const flags = options.state === "running" ? VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : options.state === "paused" ? VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED : 0;
  return withLibvirtContext(snapshotContext(vm, name), async () => {
    await vm.conn.domainRevertToSnapshot({ snap, flags });
    const { state } = await vm.conn.domainGetState({ dom: vm.dom, flags: 0 });
    // The guest runs on from the snapshot's moment, its clock with it (issue 15 item 4); best effort, not awaited.
    if (vmStateName(state) === "running") void syncGuestTimeAfter(vm, `revert to snapshot "${name}"`);
    return { state: vmStateName(state) };
  });
}

export interface DeleteSnapshotOptions {
  /** Delete the snapshots taken from it too; otherwise they are re-parented to its parent. */
  children?: boolean;
}

/** Deletes a snapshot (and optionally its descendants); the VM's current state is untouched. Returns the names deleted. */
export async function deleteSnapshot(vm: ResolvedVm, name: string, options: DeleteSnapshotOptions = {}): Promise<{ deleted: string[] }> {
  const snap = await lookupSnapshot(vm, name);
  return withLibvirtContext(snapshotContext(vm, name), async () => {
    const before = await readSnapshots(vm);
    await vm.conn.domainSnapshotDelete({ snap, flags: options.children ? VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN : 0 });
    return { deleted: options.children ? subtree(before.snapshots, name) : [name] };
  });
}

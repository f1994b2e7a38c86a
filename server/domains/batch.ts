// One action on many VMs at once (the list's multi-select): each VM is resolved with the caller's
// grants and acted on independently, a few at a time; a failure is that VM's result and stops
// nothing else. The caller (vms.batch) writes one audit row per VM from the results.
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { VmRef } from "../identifiers";
import type { Permission } from "../auth/permissions";
import { auditTargets } from "../audit/targets";
import { ServiceError, type ServiceErrorKind } from "../errors";
import { LibvirtError } from "../libvirt";
import { resolveHost } from "../hosts/connection";
import { takeSnapshot } from "../snapshots/service";
import { explainFailure, failureKey, type FailureKey } from "./failure-explanations";
import { resolveVm, type ResolvedVm } from "./lookup";
import { powerAction } from "./service";
import { vmStateName, type VmState } from "./power";

export const BATCH_ACTIONS = ["start", "shutdown", "forceOff", "reboot", "snapshot"] as const;
export type BatchAction = (typeof BATCH_ACTIONS)[number];

/** The most VMs one request acts on: a bound on the work and on the audit rows one click writes. */
export const MAX_BATCH_VMS = 200;
/** VMs acted on at once: enough to finish 200 quick actions in seconds, few enough not to flood libvirtd. */
export const BATCH_CONCURRENCY = 8;

export const BATCH_PERMISSION: Record<BatchAction, Permission> = {
  start: "vm.power",
  shutdown: "vm.power",
  forceOff: "vm.power",
  reboot: "vm.power",
  snapshot: "vm.snapshot",
};

export interface BatchRequest {
  vms: VmRef[];
  action: BatchAction;
  /** The snapshot's name on every VM (snapshot only); made from the date and time when not given. */
  snapshotName?: string;
}

export interface BatchVmResult {
  hostId: string;
  uuid: string;
  /** Null when the VM was not found (or is outside the caller's grants: the same answer). */
  name: string | null;
  ok: boolean;
  /** The state the action leaves the VM in (power actions). */
  state: VmState | null;
  /** The snapshot taken (snapshot). */
  snapshot: string | null;
  /** In words, naming the VM; null when ok. */
  error: string | null;
  /** What a known libvirt/QEMU failure means, as the single-VM path explains it. */
  explanation: string | null;
  /** Its catalog key (errors.explained.*), for pages to word it in the reader's language. */
  explanationKey: FailureKey | null;
  kind: ServiceErrorKind | null;
  /** The canonical audit target of this VM's row (`VM "web-1" on host "local"`, refined for a snapshot). */
  target: string;
}

/** `batch-20261127-1702`: a name that sorts by time and is the same on every VM of one request. */
export function batchSnapshotName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `batch-${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
}

/** Runs `work` over `items` with at most `limit` in flight; answers in the items' order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function act(db: Db, user: SessionUser, vm: ResolvedVm, request: BatchRequest, snapshotName: string): Promise<Pick<BatchVmResult, "state" | "snapshot">> {
  if (request.action !== "snapshot") return { state: (await powerAction(vm, request.action)).state, snapshot: null };
  // A running VM's snapshot must hold its memory (libvirt 9 cannot revert a running VM's disk-only snapshot).
  const state = vmStateName((await vm.conn.domainGetState({ dom: vm.dom, flags: 0 })).state);
  const taken = await takeSnapshot(db, user, vm, { name: snapshotName, memory: state === "running" || state === "blocked" || state === "paused" });
  return { state: null, snapshot: taken.name };
}

/**
 * The action on each VM, each on its own: a VM outside the caller's grants answers "not found", like
 * a missing one; any failure becomes that VM's result. Duplicates in the request are acted on once.
 */
export async function runBatch(db: Db, user: SessionUser, request: BatchRequest, now = new Date()): Promise<BatchVmResult[]> {
  const seen = new Set<string>();
  const refs = request.vms.filter((ref) => {
    const key = `${ref.hostId}/${ref.uuid.toLowerCase()}`;
    return !seen.has(key) && seen.add(key);
  });
  const snapshotName = request.snapshotName ?? batchSnapshotName(now);
  return mapBounded(refs, BATCH_CONCURRENCY, async (ref): Promise<BatchVmResult> => {
    let target = auditTargets.vmById(ref.hostId, ref.uuid);
    let name: string | null = null;
    try {
      const vm = await resolveVm(resolveHost(db, ref.hostId), user, ref.uuid);
      name = vm.name;
      target = request.action === "snapshot" ? auditTargets.inVm(vm.context, `snapshot "${snapshotName}"`) : vm.context;
      const done = await act(db, user, vm, request, snapshotName);
      return { ...ref, name, ok: true, ...done, error: null, explanation: null, explanationKey: null, kind: null, target };
    } catch (err) {
      // An unknown host is "not found" too, and named by the VM's UUID: it names nothing the caller may not see.
      const service = err instanceof ServiceError ? err : null;
      const message = service ? service.message : `${target}: ${err instanceof Error ? err.message : String(err)}`;
      const explanationKey = service?.cause instanceof LibvirtError ? failureKey(message) : null;
      const explanation = explanationKey ? explainFailure(message) : null;
      return { ...ref, name, ok: false, state: null, snapshot: null, error: message, explanation, explanationKey, kind: service?.kind ?? null, target };
    }
  });
}

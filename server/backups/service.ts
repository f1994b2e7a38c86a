import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, rename, rmdir, stat, unlink, writeFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import {
  decodeTypedParams,
  hasErrorCode,
  uuidFromString,
  uuidToString,
  virDomainJobType,
  virDomainState,
  VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL,
  VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY,
  VIR_DOMAIN_JOB_STATS_COMPLETED,
  VIR_DOMAIN_XML_INACTIVE,
  VIR_ERR_INVALID_ARG,
  VIR_ERR_NO_DOMAIN_CHECKPOINT,
  VIR_ERR_OPERATION_INVALID,
  type Connection,
  type protocol,
} from "../libvirt";
import type { Db } from "../db/client";
import type { ResolvedHost } from "../hosts/connection";
import type { ResolvedVm } from "../domains/lookup";
import { openPool } from "../storage/pools";
import { parsePoolXml } from "../storage/xml";
import { ServiceError, withLibvirtContext } from "../errors";
import { auditTargets } from "../audit/targets";
import { taskRunner, type TaskHandle } from "../tasks/runner";
import type { GuestHub } from "../guest";
import type { QuiesceFn, Quiesced } from "../guest/quiesce";
import type { BackupKind } from "./kinds";
import { backupDisks, buildBackupXml, buildCheckpointXml, chainImageSpec, restoredDomainXml, type BackupDisk } from "./xml";
import { MANIFEST_FILE, checkManifest, readManifest, writeManifest } from "./manifest";
import { checkImage, convertImage, createQcow2, qemuImgOk } from "./qemu-img";
import {
  backupById,
  backupContext,
  backupsOfVm,
  deleteTarget,
  dependentsOf,
  insertBackup,
  listTargets,
  putTarget,
  removeBackupRow,
  updateBackup,
  type BackupInfo,
  type BackupTarget,
  type StoredDisk,
} from "./store";

/**
 * Backups of VMs into a backup target (a dir or netfs pool whose directory the manager reaches at
 * the same path): a running VM through libvirt's push-mode backup job, incremental from the
 * previous backup's checkpoint when every disk is qcow2; a shut-off VM by copying its disks with
 * qemu-img. Each backup is a task and a directory (disk images, domain.xml, manifest.json). See
 * README.md for the contract and what libvirt 9.0 / QEMU 7.2 do here.
 */

export const DOMAIN_XML_FILE = "domain.xml";
/** How long the guest's filesystems may stay frozen around the backup's start (our agent thaws by itself after it). */
export const QUIESCE_TIMEOUT_MS = 10_000;
/** How often the backup job's statistics are read (progress, and whether it ended). */
const JOB_POLL_MS = 250;

type User = { id: number; username: string };

// ── Targets ───────────────────────────────────────────────────────────────────────────────────

/** Marks a pool as a backup target: a dir or netfs pool, running, whose directory this manager can write. */
export async function setBackupTarget(db: Db, host: ResolvedHost, pool: string, user: User): Promise<BackupTarget> {
  const { conn, pool: p, context } = await openPool(host, pool);
  const info = await withLibvirtContext(context, async () => ({
    xml: parsePoolXml(await conn.storagePoolGetXmlDesc({ pool: p, flags: 0 })),
    active: (await conn.storagePoolIsActive({ pool: p })) === 1,
  }));
  if (info.xml.type !== "dir" && info.xml.type !== "netfs") {
    throw new ServiceError(`${context}: only a directory (dir) or network file system (netfs) pool can hold backups, not a ${info.xml.type} pool`, "invalid");
  }
  if (!info.active) throw new ServiceError(`${context}: start the pool first`, "conflict");
  const path = info.xml.targetPath;
  if (!path) throw new ServiceError(`${context}: the pool has no directory`, "invalid");
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  // The manager writes manifests and hashes files there itself, so it must see the directory at the same path.
  if (!isDir) throw new ServiceError(`${context}: the manager cannot reach the pool's directory ${path} on its own machine`, "invalid");
  putTarget(db, { hostId: host.id, pool, path, createdBy: user.username });
  return listTargets(db, host.id).find((t) => t.pool === pool)!;
}

/** The pool stops being a target; backups already in it stay (listed, verifiable, restorable). */
export function removeBackupTarget(db: Db, hostId: string, pool: string): void {
  if (!deleteTarget(db, hostId, pool)) throw new ServiceError(`${auditTargets.pool(hostId, pool)}: not a backup target`, "not_found");
}

export { listTargets as listBackupTargets };

function pickTarget(db: Db, vm: ResolvedVm, pool: string | undefined): BackupTarget {
  const targets = listTargets(db, vm.hostId);
  if (pool) {
    const t = targets.find((x) => x.pool === pool);
    if (!t) throw new ServiceError(`${vm.context}: pool "${pool}" is not a backup target on host "${vm.hostId}"`, "invalid");
    return t;
  }
  if (targets.length === 1) return targets[0]!;
  if (targets.length === 0) throw new ServiceError(`${vm.context}: host "${vm.hostId}" has no backup target; mark a pool as one first`, "invalid");
  throw new ServiceError(`${vm.context}: host "${vm.hostId}" has ${targets.length} backup targets; say which pool`, "invalid");
}

// ── Running a backup ─────────────────────────────────────────────────────────────────────────

export interface RunBackupOptions {
  user: User;
  /** The target pool; may be left out when the VM's host has exactly one. */
  pool?: string;
  /** A full backup even when an incremental one is possible. */
  full?: boolean;
  /**
   * The most MiB per second a running VM's backup job may read (per disk), so a backup leaves the
   * host's storage to its VMs; unset: as fast as the storage allows. A shut-off VM's copy ignores it.
   */
  bandwidthMiBs?: number;
  /** Freezes the guest's filesystems around the backup's start (server/guest/quiesce.ts). */
  quiesce: QuiesceFn;
  hub?: GuestHub;
  /** The schedule that asks for it (its retention counts only the backups it made). */
  scheduleId?: number;
}

export interface StartedBackup {
  backupId: string;
  taskId: string;
  /** Settles with the finished backup, or rejects as the task failed or was cancelled (the row says so too). */
  done: Promise<BackupInfo>;
}

function isActive(state: number): boolean {
  return state === virDomainState.RUNNING || state === virDomainState.PAUSED || state === virDomainState.BLOCKED;
}

function dirName(vmName: string, at: Date, id: string): string {
  const safe = vmName.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return `kvmm-backup-${safe}-${stamp}-${id}`;
}

/**
 * Starts a backup of the VM as a task (kind backup.create) and answers at once with its ids; the
 * row is written before this returns. Used by the API (Back up now) and by schedules.
 */
export function runBackup(db: Db, vm: ResolvedVm, options: RunBackupOptions): StartedBackup {
  const target = pickTarget(db, vm, options.pool);
  const id = randomBytes(8).toString("hex");
  const startedAt = new Date();
  const dir = join(target.path, dirName(vm.name, startedAt, id));
  const vmUuid = uuidToString(vm.dom.uuid);
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "backup.create",
      target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid: vmUuid },
      user: options.user,
      detail: target.pool,
      cancellable: true,
    },
    async (task) => {
      try {
        return await performBackup(db, vm, { db, id, dir, target, options, task });
      } catch (err) {
        const cancelled = task.signal.aborted;
        updateBackup(db, id, { state: cancelled ? "cancelled" : "failed", error: (err as Error).message, finishedAt: new Date() });
        throw err;
      }
    },
    (b) => ({ backup: b.id, kind: b.kind, bytes: b.bytes }),
  );
  insertBackup(db, {
    id,
    hostId: vm.hostId,
    vmUuid,
    vmName: vm.name,
    pool: target.pool,
    dir,
    kind: "full",
    state: "running",
    taskId,
    scheduleId: options.scheduleId ?? null,
    startedAt,
  });
  return { backupId: id, taskId, done };
}

interface BackupRun {
  db: Db;
  id: string;
  dir: string;
  target: BackupTarget;
  options: RunBackupOptions;
  task: TaskHandle;
}

/** The newest valid backup an incremental one can start from: same target, same disks (all qcow2), its checkpoint still in libvirt. */
async function incrementalParent(db: Db, vm: ResolvedVm, pool: string, disks: BackupDisk[]): Promise<BackupInfo | null> {
  if (!disks.every((d) => d.format === "qcow2")) return null;
  const latest = backupsOfVm(db, vm.hostId, uuidToString(vm.dom.uuid), ["succeeded"])[0];
  if (!latest || latest.pool !== pool || !latest.checkpoint) return null;
  const same = latest.disks.map((d) => d.target).join(",") === disks.map((d) => d.target).join(",");
  if (!same) return null;
  const exists = await vm.conn.domainCheckpointLookupByName({ dom: vm.dom, name: latest.checkpoint, flags: 0 }).then(
    () => true,
    (err: unknown) => (hasErrorCode(err, VIR_ERR_NO_DOMAIN_CHECKPOINT) ? false : Promise.reject(err)),
  );
  return exists ? latest : null;
}

async function deleteCheckpoint(conn: Connection, dom: protocol.NonnullDomain, name: string, metadataOnly = false): Promise<void> {
  try {
    const checkpoint = await conn.domainCheckpointLookupByName({ dom, name, flags: 0 });
    await conn.domainCheckpointDelete({ checkpoint, flags: metadataOnly ? VIR_DOMAIN_CHECKPOINT_DELETE_METADATA_ONLY : 0 });
  } catch (err) {
    if (!hasErrorCode(err, VIR_ERR_NO_DOMAIN_CHECKPOINT)) throw err;
  }
}

/** Removes the files a backup wrote (by name: never a recursive delete) and its directory. */
async function removeBackupFiles(dir: string, names: readonly string[]): Promise<void> {
  for (const name of [...names, DOMAIN_XML_FILE, MANIFEST_FILE]) await unlink(join(dir, name)).catch(() => undefined);
  await rmdir(dir).catch((err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? undefined : Promise.reject(err)));
}

async function performBackup(db: Db, vm: ResolvedVm, run: BackupRun): Promise<BackupInfo> {
  const { id, dir, target, options, task } = run;
  const context = backupContext({ id, hostId: vm.hostId, vmName: vm.name });
  const { conn, dom } = vm;
  const { state } = await withLibvirtContext(vm.context, () => conn.domainGetState({ dom, flags: 0 }));
  const running = isActive(state);
  const [xml, inactiveXml] = await withLibvirtContext(vm.context, () =>
    Promise.all([conn.domainGetXmlDesc({ dom, flags: running ? 0 : VIR_DOMAIN_XML_INACTIVE }), conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE })]),
  );
  const disks = backupDisks(xml);
  if (disks.length === 0) throw new ServiceError(`${vm.context}: has no writable disk to back up`, "invalid");
  const files: string[] = disks.map((d) => `${d.target}.qcow2`);
  let checkpoint: string | null = null;
  let checkpointMade = false;
  try {
    await mkdir(dir);
    // Set after mkdir, which the manager's umask (077, server/main.ts) narrows: QEMU runs as another
    // user and must reach its target files in here ("Permission denied" from blockdev-add otherwise).
    await chmod(dir, 0o755);
    await writeFile(join(dir, DOMAIN_XML_FILE), inactiveXml, { mode: 0o644 });
    let stored: StoredDisk[];
    let kind: BackupKind = "full";
    let parent: BackupInfo | null = null;
    if (running) {
      parent = options.full ? null : await withLibvirtContext(vm.context, () => incrementalParent(db, vm, target.pool, disks));
      kind = parent ? "incremental" : "full";
      // A checkpoint is a dirty bitmap inside each qcow2 disk: raw disks cannot carry one.
      checkpoint = disks.every((d) => d.format === "qcow2") ? `kvmm-${id}` : null;
      updateBackup(db, id, { kind, parentId: parent?.id ?? null, checkpoint });
      task.log(kind === "incremental" ? `Incremental backup since backup ${parent!.id} (checkpoint ${parent!.checkpoint})` : "Full backup");
      stored = await pushBackup(vm, run, disks, files, parent?.checkpoint ?? null, checkpoint, () => (checkpointMade = true));
    } else {
      updateBackup(db, id, { kind: "full", consistency: "consistent", quiesceMethod: "none", consistencyReason: "the VM was shut off" });
      task.log("The VM is shut off: copying its disks");
      stored = await copyDisks(run, disks, files);
    }
    updateBackup(db, id, { disks: JSON.stringify(stored) });
    const names = [...files, DOMAIN_XML_FILE];
    let total = 0;
    for (const name of names) total += (await stat(join(dir, name))).size;
    task.log("Computing the SHA-256 of every file");
    let hashed = 0;
    task.progress({ bytesDone: 0, bytesTotal: total });
    await writeManifest(
      dir,
      {
        backupId: id,
        vm: { hostId: vm.hostId, uuid: uuidToString(dom.uuid), name: vm.name },
        kind,
        parentId: parent?.id ?? null,
        checkpoint,
        createdAt: new Date().toISOString(),
      },
      names,
      (n) => task.progress({ bytesDone: (hashed += n), bytesTotal: total }),
      task.signal,
    );
    if (task.signal.aborted) throw new ServiceError(`${context}: cancelled`, "conflict");
    task.setCancellable(false);
    const bytes = total + (await stat(join(dir, MANIFEST_FILE))).size;
    updateBackup(db, id, { state: "succeeded", bytes, virtualBytes: stored.reduce((s, d) => s + d.virtualBytes, 0), finishedAt: new Date() });
    task.log(`Backup ${id} written to ${dir}`);
    return backupById(db, id)!;
  } catch (err) {
    await removeBackupFiles(dir, files);
    if (checkpointMade && checkpoint) await deleteCheckpoint(conn, dom, checkpoint).catch(() => undefined);
    if (task.signal.aborted)
      throw new ServiceError(`${context}: cancelled; its files were removed and it does not count as a backup`, "conflict", { cause: err });
    throw err instanceof ServiceError ? err : new ServiceError(`${context}: ${(err as Error).message}`, "invalid", { cause: err });
  }
}

/** Freezes, begins libvirt's push backup job (and checkpoint), thaws, then follows the job to its end. */
async function pushBackup(
  vm: ResolvedVm,
  run: BackupRun,
  disks: BackupDisk[],
  files: string[],
  since: string | null,
  checkpoint: string | null,
  onCheckpoint: () => void,
): Promise<StoredDisk[]> {
  const { conn, dom } = vm;
  const { dir, task, options } = run;
  const stored: StoredDisk[] = [];
  for (const [i, d] of disks.entries()) {
    const info = await withLibvirtContext(vm.context, () => conn.domainGetBlockInfo({ dom, path: d.target, flags: 0 }));
    const virtualBytes = Number(info.capacity);
    // Created here and begun with REUSE_EXTERNAL: when libvirt 9.0 creates an incremental backup's
    // target itself, QEMU 7.2 aborts (qcow2_get_specific_info assertion) and the guest dies.
    await createQcow2(join(dir, files[i]!), virtualBytes);
    stored.push({ target: d.target, file: files[i]!, source: d.source, format: d.format, virtualBytes });
  }
  const backupXml = buildBackupXml({ incremental: since, disks: disks.map((d, i) => ({ target: d.target, file: join(dir, files[i]!) })) });
  const checkpointXml = checkpoint
    ? buildCheckpointXml({ name: checkpoint, description: `KVM Manager backup ${run.id}`, targets: disks.map((d) => d.target) })
    : null;
  const quiesced: Quiesced = await options.quiesce(vm, { timeoutMs: QUIESCE_TIMEOUT_MS }, options.hub);
  try {
    await withLibvirtContext(vm.context, () => conn.domainBackupBegin({ dom, backupXml, checkpointXml, flags: VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL }));
    if (checkpoint) onCheckpoint();
  } finally {
    await quiesced.thaw();
  }
  if (options.bandwidthMiBs) await limitBandwidth(vm, run, disks, options.bandwidthMiBs);
  const consistent = quiesced.method !== "none";
  updateBackup(run.db, run.id, {
    consistency: consistent ? "consistent" : "crash-consistent",
    quiesceMethod: quiesced.method,
    consistencyReason: consistent ? null : quiesced.reason,
  });
  task.log(
    consistent ? `Filesystems frozen through ${quiesced.method} (${quiesced.frozen.join(", ")})` : `Crash-consistent: ${quiesced.reason ?? "not quiesced"}`,
  );
  await followBackupJob(vm, task, run.id);
  return stored;
}

/**
 * Sets the backup job's speed on each disk (libvirt 9.0 keeps a push backup as a block job per
 * disk, and QEMU's rate limit applies to it). libvirt takes no speed in domainBackupBegin, so the
 * first moments of the job run unlimited. A job that has already ended is not an error.
 */
async function limitBandwidth(vm: ResolvedVm, run: BackupRun, disks: BackupDisk[], mibs: number): Promise<void> {
  const { conn, dom } = vm;
  for (const d of disks) {
    await withLibvirtContext(vm.context, () =>
      conn.domainBlockJobSetSpeed({ dom, path: d.target, bandwidth: BigInt(mibs), flags: 0 }).catch((err: unknown) => {
        // "disk vda does not have an active block job" (libvirt 9.0 says it as an invalid argument): the
        // copy finished before the limit could apply, which the job's own completion then reports.
        if (!hasErrorCode(err, VIR_ERR_OPERATION_INVALID) && !hasErrorCode(err, VIR_ERR_INVALID_ARG)) throw err;
      }),
    );
  }
  run.task.log(`Bandwidth limited to ${mibs} MiB/s per disk`);
}

/**
 * Polls the backup job until it ends; a cancel aborts it (domainAbortJob). Throws unless libvirt
 * says it completed — and when a cancel was asked for, even if it completed first.
 */
async function followBackupJob(vm: ResolvedVm, task: TaskHandle, id: string): Promise<void> {
  const { conn, dom } = vm;
  let aborted = false;
  for (;;) {
    const stats = await withLibvirtContext(vm.context, () => conn.domainGetJobStats({ dom, flags: 0 }));
    if (stats.type === virDomainJobType.NONE) break;
    const p = decodeTypedParams(stats.params);
    const total = Number(p.disk_total ?? p.data_total ?? NaN);
    const done = Number(p.disk_processed ?? p.data_processed ?? NaN);
    if (Number.isFinite(total) && total > 0 && Number.isFinite(done)) task.progress({ bytesDone: done, bytesTotal: total });
    if (task.signal.aborted && !aborted) {
      aborted = true;
      task.log("Cancel asked for: aborting the backup job");
      await conn.domainAbortJob({ dom }).catch((err: unknown) => {
        // The job ended between the read and the abort.
        if (!hasErrorCode(err, VIR_ERR_OPERATION_INVALID)) throw err;
      });
    }
    // Until a cancel, it ends the pause at once (the delay rejects) and the next turn aborts the job;
    // after it, the pauses run their length. Each pause removes its listener from the signal: one
    // added per poll and never removed reached Node's leak warning at 11.
    await delay(JOB_POLL_MS, undefined, aborted ? {} : { signal: task.signal }).catch(() => undefined);
  }
  const completed = await withLibvirtContext(vm.context, () => conn.domainGetJobStats({ dom, flags: VIR_DOMAIN_JOB_STATS_COMPLETED }));
  if (task.signal.aborted) throw new ServiceError(`backup ${id}: cancelled`, "conflict");
  if (completed.type !== virDomainJobType.COMPLETED) {
    const p = decodeTypedParams(completed.params);
    const why =
      typeof p.errmsg === "string" && p.errmsg
        ? p.errmsg
        : `libvirt reports the job as ${completed.type === virDomainJobType.CANCELLED ? "cancelled" : "failed"}`;
    throw new ServiceError(`${vm.context}: the backup job did not complete: ${why}`, "invalid");
  }
}

/** A shut-off VM: each disk copied whole into a standalone qcow2 file; a cancel kills the copy. */
async function copyDisks(run: BackupRun, disks: BackupDisk[], files: string[]): Promise<StoredDisk[]> {
  const { dir, task } = run;
  const stored: StoredDisk[] = [];
  for (const [i, d] of disks.entries()) {
    task.log(`Copying disk ${d.target} (${d.source})`);
    await convertImage(d.source, d.format, join(dir, files[i]!), "qcow2", {
      signal: task.signal,
      onPercent: (pct) => task.progress({ fraction: (i + pct / 100) / disks.length }),
    });
    const info = await readVirtualSize(join(dir, files[i]!));
    stored.push({ target: d.target, file: files[i]!, source: d.source, format: d.format, virtualBytes: info });
  }
  return stored;
}

async function readVirtualSize(path: string): Promise<number> {
  const info = JSON.parse(await qemuImgOk(["info", "--output=json", "-f", "qcow2", path])) as { "virtual-size": number };
  return info["virtual-size"];
}

// ── Verification ─────────────────────────────────────────────────────────────────────────────

export interface VerifyResult {
  ok: boolean;
  /** One line per problem found, in plain words; empty when all is well. */
  problems: string[];
}

/** Hashes every file against the manifest and runs `qemu-img check` on each disk image; the outcome is stored on the row. */
export async function verifyBackup(db: Db, backup: BackupInfo, user: User): Promise<VerifyResult & { taskId: string }> {
  const context = backupContext(backup);
  if (backup.state !== "succeeded") throw new ServiceError(`${context}: only a finished backup can be verified (this one is ${backup.state})`, "conflict");
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "backup.verify",
      target: { hostId: backup.hostId, kind: "vm", name: backup.vmName, uuid: backup.vmUuid },
      user,
      detail: backup.id,
      cancellable: true,
    },
    async (task) => {
      const problems: string[] = [];
      const manifest = await readManifest(backup.dir).catch((err: unknown) => {
        problems.push(`the manifest cannot be read: ${(err as Error).message}`);
        return null;
      });
      if (manifest && manifest.backupId !== backup.id) problems.push(`the manifest belongs to backup ${manifest.backupId}`);
      if (manifest) {
        const total = manifest.files.reduce((s, f) => s + f.bytes, 0);
        let hashed = 0;
        task.log(`Hashing ${manifest.files.length} files`);
        for (const check of await checkManifest(backup.dir, manifest, (n) => task.progress({ bytesDone: (hashed += n), bytesTotal: total }), task.signal)) {
          if (!check.ok) problems.push(check.problem!);
        }
      }
      for (const d of backup.disks) {
        task.log(`qemu-img check ${d.file}`);
        const complaint = await checkImage(join(backup.dir, d.file)).catch((err: unknown) => (err as Error).message);
        if (complaint) problems.push(`${d.file}: qemu-img check: ${complaint}`);
      }
      for (const p of problems) task.log(p);
      updateBackup(db, backup.id, {
        verifyState: problems.length ? "failed" : "ok",
        verifyDetail: problems.join("\n").slice(0, 4000) || null,
        verifiedAt: new Date(),
      });
      return { ok: problems.length === 0, problems };
    },
    (r) => ({ ok: r.ok, problems: r.problems.length }),
  );
  return { ...(await done), taskId };
}

// ── Restore ──────────────────────────────────────────────────────────────────────────────────

/** The backups a restore of `backup` reads, oldest (the full one) first; each must be valid with its directory present. */
export function backupChain(db: Db, backup: BackupInfo): BackupInfo[] {
  const chain: BackupInfo[] = [];
  for (let b: BackupInfo | null = backup; b; b = b.parentId ? backupById(db, b.parentId) : null) {
    if (b.state !== "succeeded") throw new ServiceError(`${backupContext(backup)}: backup ${b.id} in its chain is ${b.state}`, "conflict");
    chain.unshift(b);
    if (b.parentId && !backupById(db, b.parentId)) throw new ServiceError(`${backupContext(backup)}: backup ${b.parentId} in its chain is gone`, "conflict");
  }
  return chain;
}

/** The image spec qemu-img reads a disk of the backup from: the file itself, or its incremental chain. */
function diskSource(chain: BackupInfo[], target: string, context: string): string {
  const files = chain.map((b) => {
    const d = b.disks.find((x) => x.target === target);
    if (!d) throw new ServiceError(`${context}: backup ${b.id} in the chain has no disk ${target}`, "conflict");
    return join(b.dir, d.file);
  });
  return chainImageSpec(files);
}

export interface RestoreNewSpec {
  name: string;
  /** The pool the restored disks are written to (a dir or netfs pool). */
  pool: string;
}

/** Restores the backup as a new VM: new name, UUID and MACs; its disks standalone qcow2 images in `pool`. Runs as a task. */
export async function restoreAsNewVm(
  db: Db,
  host: ResolvedHost,
  backup: BackupInfo,
  spec: RestoreNewSpec,
  user: User,
): Promise<{ uuid: string; name: string; taskId: string }> {
  const context = backupContext(backup);
  const chain = backupChain(db, backup);
  const { conn, pool, context: poolContext } = await openPool(host, spec.pool);
  const poolPath = parsePoolXml(await withLibvirtContext(poolContext, () => conn.storagePoolGetXmlDesc({ pool, flags: 0 }))).targetPath;
  if (!poolPath) throw new ServiceError(`${poolContext}: the pool has no directory to restore disks into`, "invalid");
  if (await conn.domainLookupByName({ name: spec.name }).catch(() => null))
    throw new ServiceError(`${context}: a VM named "${spec.name}" already exists`, "conflict");
  const xml = await readFile(join(backup.dir, DOMAIN_XML_FILE), "utf8");
  const dests = backup.disks.map((d) => ({ disk: d, path: join(poolPath, `${spec.name}-${d.target}.qcow2`) }));
  for (const { path } of dests) {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists) throw new ServiceError(`${poolContext}: ${path} already exists`, "conflict");
  }
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "backup.restore",
      target: { hostId: backup.hostId, kind: "vm", name: backup.vmName, uuid: backup.vmUuid },
      user,
      detail: spec.name,
      cancellable: true,
    },
    async (task) => {
      const made: string[] = [];
      try {
        for (const [i, { disk, path }] of dests.entries()) {
          task.log(`Restoring disk ${disk.target} to ${path}${chain.length > 1 ? ` from a chain of ${chain.length} backups` : ""}`);
          made.push(path);
          await convertImage(diskSource(chain, disk.target, context), null, path, "qcow2", {
            signal: task.signal,
            onPercent: (pct) => task.progress({ fraction: (i + pct / 100) / dests.length }),
          });
        }
        task.setCancellable(false);
        await withLibvirtContext(poolContext, () => conn.storagePoolRefresh({ pool, flags: 0 }));
        const defined = await withLibvirtContext(context, () =>
          conn.domainDefineXmlFlags({ xml: restoredDomainXml(xml, spec.name, new Map(dests.map((d) => [d.disk.source, d.path]))), flags: 0 }),
        );
        task.log(`Defined VM "${defined.name}"`);
        return { uuid: uuidToString(defined.uuid), name: defined.name };
      } catch (err) {
        for (const path of made) await unlink(path).catch(() => undefined);
        if (task.signal.aborted) throw new ServiceError(`${context}: restore cancelled; the disks it had written were deleted`, "conflict", { cause: err });
        throw err instanceof ServiceError ? err : new ServiceError(`${context}: ${(err as Error).message}`, "invalid", { cause: err });
      }
    },
    (r) => ({ uuid: r.uuid, name: r.name }),
  );
  return { ...(await done), taskId };
}

/**
 * Writes the backup back over the VM it was taken of. Only while the VM is shut off, and only when
 * `confirmName` is the VM's name exactly (checked here, not only in the page). Each disk is
 * written beside the current image and renamed over it, keeping that image's format; the VM's
 * checkpoints are dropped (their bitmaps were in the replaced images), so its next backup is full.
 */
export async function restoreOverVm(db: Db, vm: ResolvedVm, backup: BackupInfo, confirmName: string, user: User): Promise<{ taskId: string }> {
  const context = backupContext(backup);
  if (confirmName !== vm.name) throw new ServiceError(`${vm.context}: type the VM's name exactly to confirm restoring over it`, "invalid");
  if (backup.hostId !== vm.hostId || backup.vmUuid !== uuidToString(vm.dom.uuid))
    throw new ServiceError(`${context}: is not a backup of ${vm.context}`, "invalid");
  const chain = backupChain(db, backup);
  const { conn, dom } = vm;
  const { state } = await withLibvirtContext(vm.context, () => conn.domainGetState({ dom, flags: 0 }));
  if (isActive(state)) throw new ServiceError(`${vm.context}: shut it off before restoring over it`, "conflict");
  const current = backupDisks(await withLibvirtContext(vm.context, () => conn.domainGetXmlDesc({ dom, flags: VIR_DOMAIN_XML_INACTIVE })));
  const plan = backup.disks.map((d) => {
    const now = current.find((c) => c.target === d.target);
    if (!now) throw new ServiceError(`${vm.context}: has no disk ${d.target} any more to restore into`, "conflict");
    if (now.format !== "qcow2" && now.format !== "raw")
      throw new ServiceError(`${vm.context}: disk ${d.target} is ${now.format}; only qcow2 and raw are restored`, "invalid");
    return { target: d.target, dest: now.source, format: now.format as "qcow2" | "raw", temp: `${now.source}.kvmm-restore-${backup.id}` };
  });
  const { id: taskId, done } = taskRunner(db).run(
    {
      kind: "backup.restore",
      target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid: uuidToString(dom.uuid) },
      user,
      detail: backup.id,
      cancellable: true,
    },
    async (task) => {
      try {
        for (const [i, p] of plan.entries()) {
          task.log(`Writing disk ${p.target} beside ${p.dest}`);
          await convertImage(diskSource(chain, p.target, context), null, p.temp, p.format, {
            signal: task.signal,
            onPercent: (pct) => task.progress({ fraction: (i + pct / 100) / plan.length }),
          });
        }
      } catch (err) {
        for (const p of plan) await unlink(p.temp).catch(() => undefined);
        if (task.signal.aborted) throw new ServiceError(`${context}: restore cancelled; the VM's disks were not changed`, "conflict", { cause: err });
        throw err instanceof ServiceError ? err : new ServiceError(`${context}: ${(err as Error).message}`, "invalid", { cause: err });
      }
      task.setCancellable(false);
      for (const p of plan) await rename(p.temp, p.dest);
      const { checkpoints } = await conn.domainListAllCheckpoints({ dom, needResults: 1, flags: 0 });
      for (const c of checkpoints) await deleteCheckpoint(conn, dom, c.name, true);
      task.log(`Restored ${plan.length} disks over ${vm.context}`);
    },
  );
  await done;
  return { taskId };
}

// ── Delete ───────────────────────────────────────────────────────────────────────────────────

/**
 * Deletes a backup's files and row. Refused while another backup builds on it. Its checkpoint is
 * deleted in libvirt too (libvirt merges its bitmap into the previous checkpoint, so the next
 * incremental backup starts from the parent backup and misses nothing).
 */
export async function deleteBackup(db: Db, backup: BackupInfo, conn: Connection | null): Promise<void> {
  const context = backupContext(backup);
  if (backup.state === "running") throw new ServiceError(`${context}: is still running; cancel its task first`, "conflict");
  const dependents = dependentsOf(db, backup.id);
  if (dependents.length)
    throw new ServiceError(`${context}: incremental backup ${dependents.map((d) => d.id).join(", ")} builds on it; delete that first`, "conflict");
  if (backup.state === "succeeded") {
    await removeBackupFiles(
      backup.dir,
      backup.disks.map((d) => d.file),
    );
    if (conn && backup.checkpoint) {
      const dom = await conn.domainLookupByUuid({ uuid: uuidFromString(backup.vmUuid) }).catch(() => null);
      if (dom) await withLibvirtContext(context, () => deleteCheckpoint(conn, dom, backup.checkpoint!));
    }
  }
  removeBackupRow(db, backup.id);
}

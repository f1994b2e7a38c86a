import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { backups, backupTargets } from "../db/schema";
import { coversHost } from "../auth/permissions";
import { vmVisibleTo } from "../events/visibility";
import { auditTargets } from "../audit/targets";
import { ServiceError } from "../errors";
import type { SessionUser } from "../users/service";
import type { BackupConsistency, BackupKind, BackupState, BackupVerifyState } from "./kinds";

/** Reading and writing backup rows and backup targets; the service (service.ts) decides what is written. */

export interface BackupTarget {
  hostId: string;
  pool: string;
  path: string;
  createdAt: Date;
  createdBy: string;
}

export interface StoredDisk {
  /** The disk's target in the VM (vda). */
  target: string;
  /** The file in the backup's directory (vda.qcow2). */
  file: string;
  /** The VM's image it was copied from, and that image's format. */
  source: string;
  format: string;
  virtualBytes: number;
}

export interface BackupInfo {
  id: string;
  hostId: string;
  vmUuid: string;
  vmName: string;
  pool: string;
  dir: string;
  kind: BackupKind;
  parentId: string | null;
  checkpoint: string | null;
  state: BackupState;
  consistency: BackupConsistency | null;
  quiesceMethod: string | null;
  consistencyReason: string | null;
  disks: StoredDisk[];
  bytes: number | null;
  virtualBytes: number | null;
  taskId: string | null;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  verifyState: BackupVerifyState | null;
  verifyDetail: string | null;
  verifiedAt: Date | null;
}

export function backupContext(b: Pick<BackupInfo, "id" | "hostId" | "vmName">): string {
  return auditTargets.inVm(auditTargets.vm(b.hostId, b.vmName), auditTargets.backup(b.id));
}

function rowToBackup(row: typeof backups.$inferSelect): BackupInfo {
  return { ...row, disks: JSON.parse(row.disks) as StoredDisk[] };
}

export function listTargets(db: Db, hostId?: string): BackupTarget[] {
  return db
    .select()
    .from(backupTargets)
    .where(hostId ? eq(backupTargets.hostId, hostId) : undefined)
    .orderBy(backupTargets.hostId, backupTargets.pool)
    .all()
    .map(({ hostId, pool, path, createdAt, createdBy }) => ({ hostId, pool, path, createdAt, createdBy }));
}

export function putTarget(db: Db, target: Omit<BackupTarget, "createdAt">): void {
  db.insert(backupTargets)
    .values(target)
    .onConflictDoUpdate({ target: [backupTargets.hostId, backupTargets.pool], set: { path: target.path, createdBy: target.createdBy } })
    .run();
}

export function deleteTarget(db: Db, hostId: string, pool: string): boolean {
  return (
    db
      .delete(backupTargets)
      .where(and(eq(backupTargets.hostId, hostId), eq(backupTargets.pool, pool)))
      .run().changes > 0
  );
}

export function insertBackup(db: Db, row: typeof backups.$inferInsert): void {
  db.insert(backups).values(row).run();
}

export function updateBackup(db: Db, id: string, set: Partial<typeof backups.$inferInsert>): void {
  db.update(backups).set(set).where(eq(backups.id, id)).run();
}

export function removeBackupRow(db: Db, id: string): void {
  db.delete(backups).where(eq(backups.id, id)).run();
}

/** Any backup by id, unnarrowed (the service's own reads). */
export function backupById(db: Db, id: string): BackupInfo | null {
  const row = db.select().from(backups).where(eq(backups.id, id)).get();
  return row ? rowToBackup(row) : null;
}

/** A VM's backups, newest first. */
export function backupsOfVm(db: Db, hostId: string, vmUuid: string, states?: BackupState[]): BackupInfo[] {
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.hostId, hostId), eq(backups.vmUuid, vmUuid), states ? inArray(backups.state, states) : undefined))
    .orderBy(desc(backups.startedAt))
    .all()
    .map(rowToBackup);
}

/** The valid backups a schedule made of one VM, newest first: what its retention counts. */
export function backupsOfSchedule(db: Db, scheduleId: number, hostId: string, vmUuid: string): BackupInfo[] {
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.scheduleId, scheduleId), eq(backups.hostId, hostId), eq(backups.vmUuid, vmUuid), eq(backups.state, "succeeded")))
    .orderBy(desc(backups.startedAt))
    .all()
    .map(rowToBackup);
}

/** Backups built on this one (running or valid): while there are any it cannot be deleted. */
export function dependentsOf(db: Db, id: string): BackupInfo[] {
  return db
    .select()
    .from(backups)
    .where(and(eq(backups.parentId, id), inArray(backups.state, ["running", "succeeded"])))
    .all()
    .map(rowToBackup);
}

/** Whether a user may see a backup: as its VM (the grants that narrow VM lists). */
export function backupVisibleTo(user: SessionUser, b: BackupInfo, hostUri: (hostId: string) => string | undefined): Promise<boolean> {
  if (user.role === "admin" || user.grants.length === 0) return Promise.resolve(true);
  if (coversHost(user.role, user.grants, b.hostId)) return Promise.resolve(true);
  return vmVisibleTo(user, { hostId: b.hostId, uuid: b.vmUuid, name: b.vmName }, hostUri);
}

/** Rows read before narrowing: a user with grants sees fewer than were read, never more than `limit`. */
const SCAN_LIMIT = 2000;

/**
 * The backups a user may see, newest first: of one VM, or of the VMs of one host (`hostId`: the host
 * the VM was on when the backup was taken, where its files are), or all.
 */
export async function listBackups(
  db: Db,
  user: SessionUser,
  filter: { vm?: { hostId: string; uuid: string }; hostId?: string; limit: number },
  hostUri: (hostId: string) => string | undefined,
): Promise<BackupInfo[]> {
  const rows = db
    .select()
    .from(backups)
    .where(
      and(
        filter.vm ? and(eq(backups.hostId, filter.vm.hostId), eq(backups.vmUuid, filter.vm.uuid)) : undefined,
        filter.hostId ? eq(backups.hostId, filter.hostId) : undefined,
      ),
    )
    .orderBy(desc(backups.startedAt))
    .limit(user.role === "admin" || user.grants.length === 0 ? filter.limit : SCAN_LIMIT)
    .all()
    .map(rowToBackup);
  const out: BackupInfo[] = [];
  for (const b of rows) {
    if (out.length >= filter.limit) break;
    if (await backupVisibleTo(user, b, hostUri)) out.push(b);
  }
  return out;
}

/** One backup the user may see; others (and missing ones) answer "not found" naming only the id. */
export async function visibleBackup(db: Db, user: SessionUser, id: string, hostUri: (hostId: string) => string | undefined): Promise<BackupInfo> {
  const b = backupById(db, id);
  if (!b || !(await backupVisibleTo(user, b, hostUri))) throw new ServiceError(`${auditTargets.backup(id)}: not found`, "not_found");
  return b;
}

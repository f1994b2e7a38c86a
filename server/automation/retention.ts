import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client";
import { scheduleSnapshots } from "../db/schema";
import { uuidToString } from "../libvirt";
import type { ResolvedVm } from "../domains/lookup";
import { ServiceError } from "../errors";
import { deleteSnapshot } from "../snapshots/service";
import { deleteBackup } from "../backups/service";
import { backupsOfSchedule, dependentsOf } from "../backups/store";
import { applyRetention, type RetentionPolicy } from "../backups/retention";

/**
 * "Keep the last N" of a snapshot schedule: records the snapshot it just took, then deletes the
 * oldest of the snapshots THIS schedule took of this VM beyond N. Snapshots made by hand or by
 * another schedule are never counted nor touched. A marked snapshot someone deleted meanwhile just
 * loses its mark. Answers the names deleted.
 */
export async function keepLastSnapshots(db: Db, scheduleId: number, vm: ResolvedVm, taken: string, at: Date, keepLast: number): Promise<string[]> {
  const hostId = vm.hostId;
  const vmUuid = uuidToString(vm.dom.uuid);
  db.insert(scheduleSnapshots).values({ scheduleId, hostId, vmUuid, name: taken, takenAt: at }).run();
  const marked = db
    .select()
    .from(scheduleSnapshots)
    .where(and(eq(scheduleSnapshots.scheduleId, scheduleId), eq(scheduleSnapshots.hostId, hostId), eq(scheduleSnapshots.vmUuid, vmUuid)))
    .orderBy(desc(scheduleSnapshots.takenAt), desc(scheduleSnapshots.id))
    .all();
  const deleted: string[] = [];
  for (const old of marked.slice(keepLast).reverse()) {
    try {
      await deleteSnapshot(vm, old.name);
      deleted.push(old.name);
    } catch (err) {
      if (!(err instanceof ServiceError && err.kind === "not_found")) throw err;
    }
    db.delete(scheduleSnapshots)
      .where(inArray(scheduleSnapshots.id, [old.id]))
      .run();
  }
  return deleted;
}

/**
 * Retention of a backup schedule: of the backups THIS schedule made of this VM, those the policy
 * does not keep are deleted, newest first so an incremental goes before its parent. One that a
 * backup made otherwise (Back up now, another schedule) builds on stays. Answers the ids deleted.
 */
export async function keepScheduleBackups(db: Db, scheduleId: number, vm: ResolvedVm, policy: RetentionPolicy, now: Date): Promise<string[]> {
  const mine = backupsOfSchedule(db, scheduleId, vm.hostId, uuidToString(vm.dom.uuid));
  const { remove } = applyRetention(
    mine.map((b) => ({ id: b.id, parentId: b.parentId, at: b.startedAt.getTime() })),
    policy,
    now.getTime(),
  );
  const deleted: string[] = [];
  for (const backup of mine.filter((b) => remove.includes(b.id))) {
    if (dependentsOf(db, backup.id).length > 0) continue;
    await deleteBackup(db, backup, vm.conn);
    deleted.push(backup.id);
  }
  return deleted;
}

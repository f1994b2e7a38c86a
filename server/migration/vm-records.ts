import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { agentSightings, alertSilences, metricSubjects, schedules } from "../db/schema";

/**
 * What the manager keeps per (host, VM) in its database, and whether it follows a migrated VM to
 * its destination. The VM's own settings (tags, title, description) are in its XML's metadata and
 * travel with it; these rows are the manager's:
 *
 * - follow: a schedule of the VM (a nightly backup must keep running after the move), a silence of
 *   its alerts (the maintenance it was made for is not over), its metrics history (one VM page,
 *   one history) and when its agents were last seen ("VM without any agent" must not fire for a
 *   VM that merely moved).
 * - stay: its tasks and audit rows (they happened on the source), its alerts (fired on the source;
 *   the evaluator resolves them there), its backups (their files are in a pool of the source, where
 *   they are restored from), the snapshots its schedules took (libvirt keeps snapshot metadata per
 *   host, so they stayed on the source too) and insights (recomputed daily).
 *
 * Metrics history follows only when the collector has not yet started a history for the VM on
 * the destination (a tick between the arrival and this call): two histories are not merged.
 */
export function moveVmRecords(db: Db, uuid: string, fromHostId: string, toHostId: string): void {
  const id = uuid.toLowerCase();
  db.transaction((tx) => {
    tx.update(schedules)
      .set({ hostId: toHostId })
      .where(and(eq(schedules.targetKind, "vm"), eq(schedules.hostId, fromHostId), eq(schedules.vmUuid, id)))
      .run();
    tx.update(alertSilences)
      .set({ value: `${toHostId}/${id}` })
      .where(and(eq(alertSilences.kind, "vm"), eq(alertSilences.value, `${fromHostId}/${id}`)))
      .run();
    const sighting = and(eq(agentSightings.hostId, fromHostId), eq(agentSightings.uuid, id));
    if (tx.select().from(agentSightings).where(sighting).get()) {
      tx.delete(agentSightings)
        .where(and(eq(agentSightings.hostId, toHostId), eq(agentSightings.uuid, id)))
        .run();
      tx.update(agentSightings).set({ hostId: toHostId }).where(sighting).run();
    }
    const history = (hostId: string) => and(eq(metricSubjects.kind, "vm"), eq(metricSubjects.hostId, hostId), eq(metricSubjects.uuid, id));
    if (!tx.select().from(metricSubjects).where(history(toHostId)).get()) {
      tx.update(metricSubjects).set({ hostId: toHostId }).where(history(fromHostId)).run();
    }
  });
}

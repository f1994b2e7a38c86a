/**
 * What removing a host forgets: every row the manager keeps about the host and its VMs, table by
 * table (server/db/schema.ts). The VMs keep running on the host; only the manager's knowledge of
 * them goes. A removed host's id is never given to another host (manage.ts), so nothing kept below
 * can come to mean a different machine.
 */
import { and, eq, inArray, like, or } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  agentSightings,
  alertRules,
  alerts,
  alertSilences,
  backups,
  backupTargets,
  hosts,
  insights,
  scheduleSnapshots,
  schedules,
  tasks,
  templates,
} from "../db/schema";
import { ServiceError } from "../errors";
import { forgetHostHistory } from "../metrics/history";
import { scopeSchema } from "../alerts/rules";

/** A running task holds its row and writes to it until it ends: removal waits for it rather than pull the row away. */
export function assertNoRunningTask(db: Db, hostId: string): void {
  const running = db
    .select({ kind: tasks.kind, target: tasks.targetName })
    .from(tasks)
    .where(and(eq(tasks.hostId, hostId), eq(tasks.state, "running")))
    .get();
  if (running) {
    throw new ServiceError(
      `host "${hostId}": a task (${running.kind} of "${running.target}") is still running there; wait for it or cancel it first`,
      "conflict",
    );
  }
}

/**
 * Deletes the host's row and the rows about it, in one transaction. Returns the ids of the
 * schedules deleted, whose timers the schedule engine must drop.
 *
 * Kept, on purpose: the audit log (append-only: who did what to the host stays on record); grants
 * naming the host (deleting a user's last grant would widen their view to every VM: a user without
 * grants sees all); insight_runs (one row, replaced by the next computation).
 */
export function forgetHost(db: Db, hostId: string): { scheduleIds: number[] } {
  return db.transaction((tx) => {
    // The metrics history of the host and its VMs: samples, rollups and their subjects.
    forgetHostHistory(db, hostId);
    // Rules watching only this host or one of its VMs watch nothing any more; rules for all VMs or a tag stay.
    const ruleIds = tx
      .select({ id: alertRules.id, scope: alertRules.scope })
      .from(alertRules)
      .all()
      .filter((rule) => {
        const scope = scopeSchema.safeParse(JSON.parse(rule.scope));
        return scope.success && (scope.data.kind === "host" || scope.data.kind === "vm") && scope.data.hostId === hostId;
      })
      .map((rule) => rule.id);
    // Silences of those rules and of the host's VMs (value `host/uuid`); tag silences are not about a host.
    const ruleSilence = ruleIds.length ? [and(eq(alertSilences.kind, "rule"), inArray(alertSilences.value, ruleIds.map(String)))] : [];
    tx.delete(alertSilences)
      .where(or(and(eq(alertSilences.kind, "vm"), like(alertSilences.value, `${hostId}/%`)), ...ruleSilence))
      .run();
    if (ruleIds.length) tx.delete(alertRules).where(inArray(alertRules.id, ruleIds)).run();
    // The host's and its VMs' alerts; their notification deliveries and attempts go with them (cascade).
    tx.delete(alerts).where(eq(alerts.hostId, hostId)).run();
    // Recomputed from the history every day; about VMs the manager no longer knows.
    tx.delete(insights).where(eq(insights.hostId, hostId)).run();
    tx.delete(agentSightings).where(eq(agentSightings.hostId, hostId)).run();
    // Finished tasks: the history of operations on the host's VMs (running ones were refused before).
    tx.delete(tasks).where(eq(tasks.hostId, hostId)).run();
    // The backup catalogue and targets: the files stay in the host's pools, for the host's own admin.
    tx.delete(backups).where(eq(backups.hostId, hostId)).run();
    tx.delete(backupTargets).where(eq(backupTargets.hostId, hostId)).run();
    // Schedules of its VMs, of the host, and tag schedules narrowed to it (emptying host_id would widen them to every host);
    // their runs and snapshot records go with them (cascade). Tag schedules on every host keep running, minus its snapshots.
    const scheduleIds = tx
      .select({ id: schedules.id })
      .from(schedules)
      .where(eq(schedules.hostId, hostId))
      .all()
      .map((row) => row.id);
    if (scheduleIds.length) tx.delete(schedules).where(inArray(schedules.id, scheduleIds)).run();
    tx.delete(scheduleSnapshots).where(eq(scheduleSnapshots.hostId, hostId)).run();
    // Templates are disk copies in one of the host's pools: deployable only there (the files stay in the pool).
    tx.delete(templates).where(eq(templates.hostId, hostId)).run();
    tx.delete(hosts).where(eq(hosts.id, hostId)).run();
    return { scheduleIds };
  });
}

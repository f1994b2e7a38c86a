/**
 * Insights in SQLite (tables in server/db/schema.ts, "Insights" block): the latest computation's
 * insights, replaced whole by each run in one transaction, and when each VM's agents were last seen.
 */
import { and, eq, type SQL } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { agentSightings, insightRuns, insights } from "@/server/db/schema";
import type { InsightKind, InsightSeverity } from "./kinds";
import type { FailedHost, HistoryWait, Insight, InsightFigures, InsightReport } from "./rules";

export type InsightTrigger = "schedule" | "user";

export interface StoredInsight extends Insight {
  id: number;
}

export interface StoredReport {
  at: number;
  trigger: InsightTrigger;
  waiting: HistoryWait[];
  failedHosts: FailedHost[];
  insights: StoredInsight[];
}

export interface InsightFilter {
  kind?: InsightKind;
  severity?: InsightSeverity;
  hostId?: string;
  uuid?: string;
}

export function saveReport(db: Db, report: InsightReport, trigger: InsightTrigger): void {
  db.transaction((tx) => {
    tx.delete(insights).run();
    for (const i of report.insights) {
      tx.insert(insights)
        .values({ kind: i.kind, severity: i.severity, hostId: i.hostId, uuid: i.uuid, vmName: i.vmName, figures: JSON.stringify(i.figures) })
        .run();
    }
    const run = { at: new Date(report.at), trigger, notes: JSON.stringify({ waiting: report.waiting, failedHosts: report.failedHosts }) };
    tx.insert(insightRuns)
      .values({ id: 1, ...run })
      .onConflictDoUpdate({ target: insightRuns.id, set: run })
      .run();
  });
}

/** The latest computation's insights matching the filter (in the order they were computed), or null before the first one. */
export function readReport(db: Db, filter: InsightFilter = {}): StoredReport | null {
  const run = db.select().from(insightRuns).where(eq(insightRuns.id, 1)).get();
  if (!run) return null;
  const where: SQL[] = [];
  if (filter.kind) where.push(eq(insights.kind, filter.kind));
  if (filter.severity) where.push(eq(insights.severity, filter.severity));
  if (filter.hostId) where.push(eq(insights.hostId, filter.hostId));
  if (filter.uuid) where.push(eq(insights.uuid, filter.uuid.toLowerCase()));
  const rows = db
    .select()
    .from(insights)
    .where(where.length ? and(...where) : undefined)
    .orderBy(insights.id)
    .all();
  const notes = JSON.parse(run.notes) as { waiting: HistoryWait[]; failedHosts: FailedHost[] };
  return {
    at: run.at.getTime(),
    trigger: run.trigger,
    waiting: notes.waiting,
    failedHosts: notes.failedHosts,
    insights: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      hostId: r.hostId,
      uuid: r.uuid,
      vmName: r.vmName,
      figures: JSON.parse(r.figures) as InsightFigures,
    })),
  };
}

/** Notes that a VM's agent (ours or qemu-guest-agent) is connected at `at`. */
export function recordSighting(db: Db, hostId: string, uuid: string, which: "agent" | "qga", at: number): void {
  const column = which === "agent" ? { agentAt: new Date(at) } : { qgaAt: new Date(at) };
  db.insert(agentSightings)
    .values({ hostId, uuid: uuid.toLowerCase(), ...column })
    .onConflictDoUpdate({ target: [agentSightings.hostId, agentSightings.uuid], set: column })
    .run();
}

export interface Sighting {
  agentAt: number | null;
  qgaAt: number | null;
}

export function readSightings(db: Db): (hostId: string, uuid: string) => Sighting {
  const rows = db.select().from(agentSightings).all();
  const byVm = new Map(rows.map((r) => [`${r.hostId}\0${r.uuid}`, { agentAt: r.agentAt?.getTime() ?? null, qgaAt: r.qgaAt?.getTime() ?? null }]));
  return (hostId, uuid) => byVm.get(`${hostId}\0${uuid.toLowerCase()}`) ?? { agentAt: null, qgaAt: null };
}

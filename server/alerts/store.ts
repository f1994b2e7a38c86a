/**
 * Alert rules, alerts and silences in SQLite: what the router reads and changes and what the
 * evaluator records. Every function takes the database, so tests use a temporary one.
 */
import { and, desc, eq, gt, inArray, isNull, lt, type SQL } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { alertDefaultsSeeded, alertRules, alerts, alertSilences } from "@/server/db/schema";
import { ServiceError } from "@/server/errors";
import type { AlertSeverity, AlertState, SilenceKind } from "./kinds";
import { DEFAULT_RULES, scopeSchema, type AlertRule, type AlertMetric, type RuleInput } from "./rules";
import type { AlertEvent, AlertSubject, FiringAlert } from "./evaluate";
import { alertKey } from "./evaluate";

type RuleRow = typeof alertRules.$inferSelect;
const ACTIVE: AlertState[] = ["firing", "acknowledged"];
export type AlertRow = typeof alerts.$inferSelect;
export type SilenceRow = typeof alertSilences.$inferSelect;

function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id,
    name: row.name,
    metric: row.metric as AlertMetric,
    scope: scopeSchema.parse(JSON.parse(row.scope)),
    comparison: row.comparison,
    threshold: row.threshold,
    resolveThreshold: row.resolveThreshold,
    forMs: row.forMs,
    severity: row.severity,
    enabled: row.enabled,
  };
}

function ruleValues(input: RuleInput, now: number) {
  return { ...input, scope: JSON.stringify(input.scope), updatedAt: new Date(now) };
}

/**
 * Creates each default rule the first time this install sees its key; a default a user deleted is
 * not created again (the key stays in alert_defaults_seeded). Safe to call at every start.
 */
export function seedDefaultRules(db: Db, now = Date.now()): number {
  return db.transaction((tx) => {
    const seeded = new Set(
      tx
        .select({ key: alertDefaultsSeeded.key })
        .from(alertDefaultsSeeded)
        .all()
        .map((r) => r.key),
    );
    let created = 0;
    for (const { key, rule } of DEFAULT_RULES) {
      if (seeded.has(key)) continue;
      tx.insert(alertRules).values(ruleValues(rule, now)).run();
      tx.insert(alertDefaultsSeeded).values({ key }).run();
      created += 1;
    }
    return created;
  });
}

export function listRules(db: Db): AlertRule[] {
  return db.select().from(alertRules).orderBy(alertRules.id).all().map(toRule);
}

export function enabledRules(db: Db): AlertRule[] {
  return db.select().from(alertRules).where(eq(alertRules.enabled, true)).all().map(toRule);
}

export function getRule(db: Db, id: number): AlertRule {
  const row = db.select().from(alertRules).where(eq(alertRules.id, id)).get();
  if (!row) throw new ServiceError(`Alert rule ${id} does not exist.`, "not_found");
  return toRule(row);
}

export function createRule(db: Db, input: RuleInput, now = Date.now()): AlertRule {
  const row = db.insert(alertRules).values(ruleValues(input, now)).returning().get();
  return toRule(row);
}

/**
 * Changes a rule. When it comes to watch another metric, its active alerts (about the old one)
 * resolve now; other changes (thresholds, scope, `for`) apply from the next tick to the alerts as they are.
 */
export function updateRule(db: Db, id: number, input: RuleInput, now = Date.now()): AlertRule {
  const before = getRule(db, id);
  return db.transaction((tx) => {
    if (before.metric !== input.metric) resolveActive(tx, id, now);
    return toRule(tx.update(alertRules).set(ruleValues(input, now)).where(eq(alertRules.id, id)).returning().get()!);
  });
}

function resolveActive(tx: Pick<Db, "update">, ruleId: number, now: number) {
  tx.update(alerts)
    .set({ state: "resolved", resolvedAt: new Date(now) })
    .where(and(eq(alerts.ruleId, ruleId), inArray(alerts.state, ACTIVE)))
    .run();
}

export function setRuleEnabled(db: Db, id: number, enabled: boolean, now = Date.now()): AlertRule {
  getRule(db, id);
  return toRule(
    db
      .update(alertRules)
      .set({ enabled, updatedAt: new Date(now) })
      .where(eq(alertRules.id, id))
      .returning()
      .get()!,
  );
}

/**
 * Deletes the rule; its alerts stay in the history with the rule's name (rule_id becomes null).
 * Its active alerts resolve now: once rule_id is null the evaluator could not find them to resolve.
 */
export function deleteRule(db: Db, id: number, now = Date.now()): AlertRule {
  const rule = getRule(db, id);
  db.transaction((tx) => {
    resolveActive(tx, id, now);
    tx.delete(alertRules).where(eq(alertRules.id, id)).run();
  });
  return rule;
}

/** The active alerts, as the evaluator's state after a restart: an alert that fired before is not fired again. */
export function activeFiring(db: Db): Map<string, FiringAlert> {
  const rows = db.select().from(alerts).where(inArray(alerts.state, ACTIVE)).all();
  const firing = new Map<string, FiringAlert>();
  for (const row of rows) {
    if (row.ruleId === null) continue;
    const subject: AlertSubject = { hostId: row.hostId, uuid: row.uuid, name: row.vmName };
    firing.set(alertKey(row.ruleId, subject), { ruleId: row.ruleId, metric: row.metric, subject, firedAt: row.firedAt.getTime() });
  }
  return firing;
}

/**
 * Writes what one evaluation said, in one transaction: a row per fired alert, and the active row
 * of each resolved one marked resolved (whether it was acknowledged or not). Returns the rows.
 */
export function recordEvents(db: Db, events: readonly AlertEvent[]): AlertRow[] {
  if (events.length === 0) return [];
  return db.transaction((tx) => {
    const rows: AlertRow[] = [];
    for (const e of events) {
      if (e.kind === "fired") {
        const row = tx
          .insert(alerts)
          .values({
            ruleId: e.rule.id,
            ruleName: e.rule.name,
            metric: e.rule.metric,
            severity: e.rule.severity,
            hostId: e.subject.hostId,
            uuid: e.subject.uuid,
            vmName: e.subject.name,
            state: "firing",
            value: e.value,
            threshold: e.rule.threshold,
            firedAt: new Date(e.at),
            silenced: e.silenced,
          })
          .returning()
          .get();
        rows.push(row);
      } else {
        const updated = tx
          .update(alerts)
          .set({ state: "resolved", resolvedAt: new Date(e.at), resolvedValue: e.value })
          .where(
            and(
              eq(alerts.ruleId, e.ruleId),
              eq(alerts.hostId, e.subject.hostId),
              e.subject.uuid === null ? isNull(alerts.uuid) : eq(alerts.uuid, e.subject.uuid),
              inArray(alerts.state, ACTIVE),
            ),
          )
          .returning()
          .all();
        rows.push(...updated);
      }
    }
    return rows;
  });
}

export function getAlert(db: Db, id: number): AlertRow {
  const row = db.select().from(alerts).where(eq(alerts.id, id)).get();
  if (!row) throw new ServiceError(`Alert ${id} does not exist.`, "not_found");
  return row;
}

/** Says who is on it. Only a firing alert can be acknowledged; it stays active until it resolves. */
export function acknowledgeAlert(db: Db, id: number, username: string, now = Date.now()): AlertRow {
  const alert = getAlert(db, id);
  if (alert.state !== "firing") throw new ServiceError(`Alert ${id} ("${alert.ruleName}") is ${alert.state}, not firing: nothing to acknowledge.`, "conflict");
  return db
    .update(alerts)
    .set({ state: "acknowledged", acknowledgedAt: new Date(now), acknowledgedBy: username })
    .where(eq(alerts.id, id))
    .returning()
    .get()!;
}

export interface AlertFilter {
  severity?: AlertSeverity;
  state?: AlertState;
  hostId?: string;
  uuid?: string;
  /** Rows with an id below this one (newest first). */
  before?: number;
  limit: number;
}

export function listAlerts(db: Db, filter: AlertFilter): AlertRow[] {
  const where: SQL[] = [];
  if (filter.severity) where.push(eq(alerts.severity, filter.severity));
  if (filter.state) where.push(eq(alerts.state, filter.state));
  if (filter.hostId) where.push(eq(alerts.hostId, filter.hostId));
  if (filter.uuid) where.push(eq(alerts.uuid, filter.uuid));
  if (filter.before) where.push(lt(alerts.id, filter.before));
  return db
    .select()
    .from(alerts)
    .where(and(...where))
    .orderBy(desc(alerts.id))
    .limit(filter.limit)
    .all();
}

export interface SilenceInput {
  kind: SilenceKind;
  value: string;
  endsAt: number;
  reason: string;
}

export function createSilence(db: Db, input: SilenceInput, username: string, now = Date.now()): SilenceRow {
  if (input.endsAt <= now) throw new ServiceError("A silence must end in the future.", "invalid", { field: "endsAt" });
  if (input.kind === "rule") getRule(db, Number(input.value));
  return db
    .insert(alertSilences)
    .values({ ...input, endsAt: new Date(input.endsAt), createdBy: username })
    .returning()
    .get();
}

export function getSilence(db: Db, id: number): SilenceRow {
  const row = db.select().from(alertSilences).where(eq(alertSilences.id, id)).get();
  if (!row) throw new ServiceError(`Silence ${id} does not exist.`, "not_found");
  return row;
}

/** Ends a silence now (its row stays, with the earlier end time, as a record of who silenced what). */
export function endSilence(db: Db, id: number, now = Date.now()): SilenceRow {
  const row = getSilence(db, id);
  if (row.endsAt.getTime() <= now) throw new ServiceError(`Silence ${id} has already ended.`, "conflict");
  return db
    .update(alertSilences)
    .set({ endsAt: new Date(now) })
    .where(eq(alertSilences.id, id))
    .returning()
    .get()!;
}

export function activeSilences(db: Db, now = Date.now()): SilenceRow[] {
  return db
    .select()
    .from(alertSilences)
    .where(gt(alertSilences.endsAt, new Date(now)))
    .all();
}

export function listSilences(db: Db, now = Date.now(), includeEnded = false): SilenceRow[] {
  const query = db.select().from(alertSilences);
  return (includeEnded ? query : query.where(gt(alertSilences.endsAt, new Date(now)))).orderBy(desc(alertSilences.id)).all();
}

/**
 * Marks the active alerts a new silence covers as silenced, as if it had been in place when they
 * fired: they leave the firing count and nothing more is published about them (not their
 * resolving either). A tag silence asks `tagsOf` for the tags of each active alert's VM.
 * Returns the alerts it marked.
 */
export async function silenceActiveAlerts(
  db: Db,
  silence: Pick<SilenceRow, "kind" | "value">,
  tagsOf: (row: AlertRow) => Promise<readonly string[]>,
): Promise<AlertRow[]> {
  const active = db
    .select()
    .from(alerts)
    .where(and(inArray(alerts.state, ACTIVE), eq(alerts.silenced, false)))
    .all();
  const covered = await Promise.all(
    active.map(async (row) => {
      if (silence.kind === "rule") return row.ruleId !== null && String(row.ruleId) === silence.value;
      if (row.uuid === null) return false;
      if (silence.kind === "vm") return `${row.hostId}/${row.uuid}` === silence.value;
      return (await tagsOf(row)).includes(silence.value);
    }),
  );
  const ids = active.filter((_, i) => covered[i]).map((row) => row.id);
  if (ids.length === 0) return [];
  return db.update(alerts).set({ silenced: true }).where(inArray(alerts.id, ids)).returning().all();
}

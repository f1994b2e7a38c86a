/**
 * The delivery queue and log. The evaluator only enqueues (one insert per channel, in the same
 * process, no network); the "alert notifications" job (server/jobs/index.ts) sends what is due.
 * A pending row survives a restart and is sent by the next run; an attempt cut short by a
 * restart is made again (at least once: receivers drop duplicates by the delivery header).
 */
import { and, asc, eq, inArray, lte, max } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { alertRuleChannels, notificationAttempts, notificationChannels, notificationDeliveries, type alerts } from "@/server/db/schema";
import { alertMail, alertPayload, type AlertPayload, type NotifyEvent } from "./payload";
import { backoffMs, bounded, finalOutcome } from "./policy";
import { readSmtp } from "./store";
import { sendMail, type Mail } from "./email";
import { postWebhook, type AttemptResult, type WebhookRequest } from "./webhook";
import type { SmtpSettings } from "./schemas";

type AlertRow = typeof alerts.$inferSelect;
export type DeliveryRow = typeof notificationDeliveries.$inferSelect;
export type AttemptRow = typeof notificationAttempts.$inferSelect;

/** Deliveries sent side by side in one run; more wait for the next run (a second later). */
const BATCH = 16;

/**
 * Queues a notification to each channel of the alert's rule, for alerts that fired or resolved
 * (rows as recordEvents returns them). Silenced alerts notify nobody; an alert of a deleted rule has no channels.
 */
export function enqueueNotifications(db: Db, rows: readonly AlertRow[], now = Date.now()): number {
  let queued = 0;
  const audible = rows.filter((r) => !r.silenced && r.ruleId !== null);
  if (audible.length === 0) return 0;
  const ruleIds = [...new Set(audible.map((r) => r.ruleId!))];
  const links = db
    .select({ ruleId: alertRuleChannels.ruleId, id: notificationChannels.id, name: notificationChannels.name, kind: notificationChannels.kind })
    .from(alertRuleChannels)
    .innerJoin(notificationChannels, eq(notificationChannels.id, alertRuleChannels.channelId))
    .where(inArray(alertRuleChannels.ruleId, ruleIds))
    .all();
  if (links.length === 0) return 0;
  db.transaction((tx) => {
    for (const row of audible) {
      const event: NotifyEvent = row.state === "resolved" ? "resolved" : "fired";
      const body = JSON.stringify(alertPayload(row, event));
      for (const channel of links.filter((l) => l.ruleId === row.ruleId)) {
        tx.insert(notificationDeliveries)
          .values({
            alertId: row.id,
            channelId: channel.id,
            channelName: channel.name,
            channelKind: channel.kind,
            event,
            body,
            state: "pending",
            nextAttemptAt: new Date(now),
            createdAt: new Date(now),
          })
          .run();
        queued += 1;
      }
    }
  });
  return queued;
}

export interface SenderDeps {
  now?: () => number;
  webhook?: (req: WebhookRequest) => Promise<AttemptResult>;
  mail?: (smtp: SmtpSettings, mail: Mail) => Promise<AttemptResult>;
}

async function attempt(db: Db, delivery: DeliveryRow, deps: Required<SenderDeps>, at: number): Promise<AttemptResult> {
  const channel = delivery.channelId === null ? undefined : db.select().from(notificationChannels).where(eq(notificationChannels.id, delivery.channelId)).get();
  if (!channel) return { outcome: "failed", httpStatus: null, reply: null, error: `the channel "${delivery.channelName}" was deleted` };
  if (channel.kind === "webhook") {
    return deps.webhook({
      url: channel.url!,
      secret: channel.secret!,
      body: delivery.body,
      event: `alert.${delivery.event}`,
      deliveryId: delivery.id,
      now: at,
    });
  }
  const smtp = readSmtp(db);
  // Not set up yet: worth retrying, an admin may be filling in the form right now.
  if (!smtp) return { outcome: "retry", httpStatus: null, reply: null, error: "e-mail is not set up (Settings → Notifications)" };
  const payload = JSON.parse(delivery.body) as AlertPayload;
  return deps.mail(smtp, { to: JSON.parse(channel.recipients ?? "[]") as string[], ...alertMail(payload) });
}

/** Records one attempt and moves the delivery on: delivered, failed for good, or due again after its back-off. */
function record(db: Db, delivery: DeliveryRow, result: AttemptResult, at: number, end: number): void {
  const attempts = delivery.attempts + 1;
  const outcome = finalOutcome(result.outcome, attempts);
  db.transaction((tx) => {
    tx.insert(notificationAttempts)
      .values({
        deliveryId: delivery.id,
        at: new Date(at),
        outcome,
        httpStatus: result.httpStatus,
        reply: result.reply === null ? null : bounded(result.reply),
        error: result.error === null ? null : bounded(result.error),
        durationMs: Math.max(0, Math.round(end - at)),
      })
      .run();
    tx.update(notificationDeliveries)
      .set(
        outcome === "retry"
          ? { attempts, nextAttemptAt: new Date(end + backoffMs(attempts)) }
          : { attempts, state: outcome === "delivered" ? "delivered" : "failed", nextAttemptAt: null, finishedAt: new Date(end) },
      )
      .where(eq(notificationDeliveries.id, delivery.id))
      .run();
  });
}

/** Sends every delivery that is due now (at most BATCH of them, side by side). Returns how many were tried. */
export async function deliverDue(db: Db, deps: SenderDeps = {}): Promise<number> {
  const full: Required<SenderDeps> = { now: deps.now ?? Date.now, webhook: deps.webhook ?? postWebhook, mail: deps.mail ?? sendMail };
  const due = db
    .select()
    .from(notificationDeliveries)
    .where(and(eq(notificationDeliveries.state, "pending"), lte(notificationDeliveries.nextAttemptAt, new Date(full.now()))))
    .orderBy(asc(notificationDeliveries.nextAttemptAt))
    .limit(BATCH)
    .all();
  await Promise.all(
    due.map(async (delivery) => {
      const at = full.now();
      let result: AttemptResult;
      try {
        result = await attempt(db, delivery, full, at);
      } catch (err) {
        result = { outcome: "retry", httpStatus: null, reply: null, error: err instanceof Error ? err.message : String(err) };
      }
      record(db, delivery, result, at, full.now());
    }),
  );
  return due.length;
}

/** A delivery as the alert page shows it: the channel, how it stands, and its last attempt. */
export interface DeliveryView {
  id: number;
  alertId: number;
  channelName: string;
  channelKind: "webhook" | "email";
  event: NotifyEvent;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  nextAttemptAt: number | null;
  lastAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

export function deliveriesOf(db: Db, alertIds: readonly number[]): DeliveryView[] {
  if (alertIds.length === 0) return [];
  const rows = db
    .select()
    .from(notificationDeliveries)
    .where(inArray(notificationDeliveries.alertId, [...alertIds]))
    .orderBy(asc(notificationDeliveries.id))
    .all();
  if (rows.length === 0) return [];
  // The last attempt of each delivery, in one query.
  const lastIds = db
    .select({ id: max(notificationAttempts.id) })
    .from(notificationAttempts)
    .where(
      inArray(
        notificationAttempts.deliveryId,
        rows.map((r) => r.id),
      ),
    )
    .groupBy(notificationAttempts.deliveryId)
    .all()
    .map((r) => r.id!);
  const last = new Map(
    (lastIds.length ? db.select().from(notificationAttempts).where(inArray(notificationAttempts.id, lastIds)).all() : []).map((a) => [a.deliveryId, a]),
  );
  return rows.map((row) => {
    const attempt = last.get(row.id);
    return {
      id: row.id,
      alertId: row.alertId,
      channelName: row.channelName,
      channelKind: row.channelKind,
      event: row.event,
      state: row.state,
      attempts: row.attempts,
      nextAttemptAt: row.nextAttemptAt?.getTime() ?? null,
      lastAt: attempt?.at.getTime() ?? null,
      lastStatus: attempt?.httpStatus ?? null,
      lastError: attempt?.error ?? null,
    };
  });
}

export function attemptsOf(db: Db, deliveryId: number): AttemptRow[] {
  return db.select().from(notificationAttempts).where(eq(notificationAttempts.deliveryId, deliveryId)).orderBy(asc(notificationAttempts.id)).all();
}

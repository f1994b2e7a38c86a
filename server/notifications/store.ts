/**
 * Notification channels, which rules notify which, and the SMTP settings, in SQLite. Every
 * function takes the database, so tests use a temporary one. Secrets leave this module only
 * towards the sender (`channelSecret`, `readSmtp`), never in a view.
 */
import { eq, inArray } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { alertRuleChannels, alertRules, notificationChannels, settings } from "@/server/db/schema";
import { ServiceError } from "@/server/errors";
import { smtpStoredSchema, type ChannelView, type SmtpInput, type SmtpSettings, type SmtpView } from "./schemas";

export const SMTP_KEY = "notifications.smtp";

type ChannelRow = typeof notificationChannels.$inferSelect;

function view(row: ChannelRow): ChannelView {
  return { id: row.id, kind: row.kind, name: row.name, url: row.url, recipients: row.recipients ? (JSON.parse(row.recipients) as string[]) : [] };
}

export function listChannels(db: Db): ChannelView[] {
  return db.select().from(notificationChannels).orderBy(notificationChannels.name).all().map(view);
}

function row(db: Db, id: number): ChannelRow {
  const found = db.select().from(notificationChannels).where(eq(notificationChannels.id, id)).get();
  if (!found) throw new ServiceError(`Notification channel ${id} does not exist.`, "not_found");
  return found;
}

export function getChannel(db: Db, id: number): ChannelView {
  return view(row(db, id));
}

function assertNameFree(db: Db, name: string, id?: number) {
  const other = db.select({ id: notificationChannels.id }).from(notificationChannels).where(eq(notificationChannels.name, name)).get();
  if (other && other.id !== id) throw new ServiceError(`A notification channel named "${name}" already exists.`, "conflict", { field: "name" });
}

export function createWebhook(db: Db, input: { name: string; url: string; secret: string }, now = Date.now()): ChannelView {
  assertNameFree(db, input.name);
  return view(
    db
      .insert(notificationChannels)
      .values({ kind: "webhook", name: input.name, url: input.url, secret: input.secret, updatedAt: new Date(now) })
      .returning()
      .get(),
  );
}

export function updateWebhook(db: Db, id: number, input: { name: string; url: string; secret?: string }, now = Date.now()): ChannelView {
  if (row(db, id).kind !== "webhook") throw new ServiceError(`Notification channel ${id} is not a webhook.`, "invalid");
  assertNameFree(db, input.name, id);
  const set = { name: input.name, url: input.url, updatedAt: new Date(now), ...(input.secret === undefined ? {} : { secret: input.secret }) };
  return view(db.update(notificationChannels).set(set).where(eq(notificationChannels.id, id)).returning().get()!);
}

export function createEmailList(db: Db, input: { name: string; recipients: string[] }, now = Date.now()): ChannelView {
  assertNameFree(db, input.name);
  return view(
    db
      .insert(notificationChannels)
      .values({ kind: "email", name: input.name, recipients: JSON.stringify(input.recipients), updatedAt: new Date(now) })
      .returning()
      .get(),
  );
}

export function updateEmailList(db: Db, id: number, input: { name: string; recipients: string[] }, now = Date.now()): ChannelView {
  if (row(db, id).kind !== "email") throw new ServiceError(`Notification channel ${id} is not an e-mail list.`, "invalid");
  assertNameFree(db, input.name, id);
  return view(
    db
      .update(notificationChannels)
      .set({ name: input.name, recipients: JSON.stringify(input.recipients), updatedAt: new Date(now) })
      .where(eq(notificationChannels.id, id))
      .returning()
      .get()!,
  );
}

/** Rules stop notifying it; its deliveries stay in the log under its name. */
export function deleteChannel(db: Db, id: number): ChannelView {
  const found = view(row(db, id));
  db.delete(notificationChannels).where(eq(notificationChannels.id, id)).run();
  return found;
}

/** For the sender only. */
export function channelSecret(db: Db, id: number): string | null {
  return row(db, id).secret;
}

/** Channel ids per rule id. */
export function ruleChannels(db: Db): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const r of db.select().from(alertRuleChannels).all()) (out[r.ruleId] ??= []).push(r.channelId);
  return out;
}

export function channelsOfRule(db: Db, ruleId: number): number[] {
  return db
    .select({ id: alertRuleChannels.channelId })
    .from(alertRuleChannels)
    .where(eq(alertRuleChannels.ruleId, ruleId))
    .all()
    .map((r) => r.id);
}

/** Replaces the channels a rule notifies. */
export function setRuleChannels(db: Db, ruleId: number, channelIds: readonly number[]): number[] {
  if (!db.select({ id: alertRules.id }).from(alertRules).where(eq(alertRules.id, ruleId)).get()) {
    throw new ServiceError(`Alert rule ${ruleId} does not exist.`, "not_found");
  }
  const ids = [...new Set(channelIds)];
  const known = ids.length ? db.select({ id: notificationChannels.id }).from(notificationChannels).where(inArray(notificationChannels.id, ids)).all() : [];
  const missing = ids.filter((id) => !known.some((k) => k.id === id));
  if (missing.length) throw new ServiceError(`Notification channel ${missing.join(", ")} does not exist.`, "not_found", { field: "channelIds" });
  db.transaction((tx) => {
    tx.delete(alertRuleChannels).where(eq(alertRuleChannels.ruleId, ruleId)).run();
    for (const channelId of ids) tx.insert(alertRuleChannels).values({ ruleId, channelId }).run();
  });
  return ids;
}

/** The stored SMTP settings with the password, for the sender; null until an admin saves them. */
export function readSmtp(db: Db): SmtpSettings | null {
  const found = db.select().from(settings).where(eq(settings.key, SMTP_KEY)).get();
  if (!found) return null;
  try {
    const parsed = smtpStoredSchema.safeParse(JSON.parse(found.value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function smtpView(stored: SmtpSettings | null): SmtpView | null {
  if (!stored) return null;
  const { password, ...rest } = stored;
  return { ...rest, passwordSet: password !== null };
}

/** Saves the settings; a password left out keeps the stored one. Answers the view (no password). */
export function writeSmtp(db: Db, input: SmtpInput, now = new Date()): SmtpView {
  const before = readSmtp(db);
  const password = input.password === undefined ? (before?.password ?? null) : input.password;
  const stored: SmtpSettings = smtpStoredSchema.parse({ ...input, user: input.user || null, password });
  const value = JSON.stringify(stored);
  db.insert(settings)
    .values({ key: SMTP_KEY, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } })
    .run();
  return smtpView(stored)!;
}

/** The input merged over what is stored, for a test e-mail of settings not saved yet. */
export function smtpFromInput(db: Db, input: SmtpInput): SmtpSettings {
  const password = input.password === undefined ? (readSmtp(db)?.password ?? null) : input.password;
  return smtpStoredSchema.parse({ ...input, user: input.user || null, password });
}

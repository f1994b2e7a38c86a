import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { and, desc, eq, gt, isNull, lt, ne, or } from "drizzle-orm";
import type { Db } from "../db/client";
import { sessions } from "../db/schema";
import { processSingleton } from "../process-shared";

/** How long a sign-in lasts; the signed cookie carries the same limit. */
export const SESSION_MAX_AGE_S = 12 * 60 * 60;
/** `last_seen_at` is written at most this often per session: a page load makes several calls. */
const TOUCH_EVERY_MS = 60_000;
/** Ended sessions stay listed this long (the audit log keeps the history for good). */
const KEEP_ENDED_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_USER_AGENT = 256;

export interface SessionOrigin {
  clientIp: string;
  userAgent: string;
}

/** Tells open event streams that some of a user's sessions ended, so they re-check at once. */
const revocations = processSingleton("sessionRevocations", () => new EventEmitter().setMaxListeners(0));

export function onSessionsRevoked(listener: (userId: number) => void): () => void {
  revocations.on("revoked", listener);
  return () => revocations.off("revoked", listener);
}

export function createSession(db: Db, userId: number, origin: SessionOrigin, now = Date.now()): string {
  const id = randomBytes(24).toString("base64url");
  db.insert(sessions)
    .values({
      id,
      userId,
      createdAt: new Date(now),
      expiresAt: new Date(now + SESSION_MAX_AGE_S * 1000),
      lastSeenAt: new Date(now),
      clientIp: origin.clientIp,
      userAgent: origin.userAgent.slice(0, MAX_USER_AGENT),
    })
    .run();
  return id;
}

/** Whether the session is the user's, not ended and not expired; notes when it was last used. */
export function sessionIsLive(db: Db, sessionId: string, userId: number, now = Date.now()): boolean {
  const row = db.select().from(sessions).where(eq(sessions.id, sessionId)).get();
  if (!row || row.userId !== userId || row.revokedAt !== null || row.expiresAt.getTime() <= now) return false;
  if (now - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    db.update(sessions)
      .set({ lastSeenAt: new Date(now) })
      .where(eq(sessions.id, sessionId))
      .run();
  }
  return true;
}

export function revokeSession(db: Db, sessionId: string, why: string, now = Date.now()): void {
  const row = db
    .update(sessions)
    .set({ revokedAt: new Date(now), revokedWhy: why })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ userId: sessions.userId })
    .get();
  if (row) revocations.emit("revoked", row.userId);
}

/** Ends every live session of a user, or every one but `except` (the one making the change). */
export function revokeUserSessions(db: Db, userId: number, why: string, options: { except?: string; now?: number } = {}): number {
  const where = [eq(sessions.userId, userId), isNull(sessions.revokedAt)];
  if (options.except) where.push(ne(sessions.id, options.except));
  const ended = db
    .update(sessions)
    .set({ revokedAt: new Date(options.now ?? Date.now()), revokedWhy: why })
    .where(and(...where))
    .returning({ id: sessions.id })
    .all().length;
  if (ended > 0) revocations.emit("revoked", userId);
  return ended;
}

export interface SessionSummary {
  id: string;
  createdAt: Date;
  lastSeenAt: Date;
  clientIp: string;
  userAgent: string;
}

export function listLiveSessions(db: Db, userId: number, now = Date.now()): SessionSummary[] {
  return db
    .select({ id: sessions.id, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt, clientIp: sessions.clientIp, userAgent: sessions.userAgent })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date(now))))
    .orderBy(desc(sessions.lastSeenAt))
    .all();
}

/** Forgets sessions that ended or expired more than a week ago, so the table stays small. */
export function pruneSessions(db: Db, now = Date.now()): number {
  const before = new Date(now - KEEP_ENDED_MS);
  return db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, before), lt(sessions.revokedAt, before)))
    .run().changes;
}

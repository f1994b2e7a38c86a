import { createHmac, randomBytes } from "node:crypto";
import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { loginFailures } from "../db/schema";
import { processSingleton } from "../process-shared";

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;

export type LoginReservation = { allowed: true; attemptId: number } | { allowed: false; retryAfterS: number };

/** Keyed with the session secret so the table never holds what was typed (often a password, in the wrong field). */
const fallbackKey = processSingleton("loginKey", () => randomBytes(32));
function usernameKey(username: string): string {
  return createHmac("sha256", process.env.NEXTAUTH_SECRET ?? fallbackKey)
    .update(username)
    .digest("base64url");
}

/** The database or a transaction on it. */
type Reader = Pick<Db, "select">;

function blockedUntil(db: Reader, column: typeof loginFailures.username | typeof loginFailures.clientIp, key: string, now: number): number | null {
  const rows = db
    .select({ at: loginFailures.at })
    .from(loginFailures)
    .where(and(eq(column, key), gte(loginFailures.at, new Date(now - WINDOW_MS))))
    .orderBy(sql`${loginFailures.at} desc`)
    .limit(MAX_FAILURES)
    .all();
  // The block lifts when the oldest of the last MAX_FAILURES attempts leaves the window.
  return rows.length >= MAX_FAILURES ? rows[MAX_FAILURES - 1]!.at.getTime() + WINDOW_MS : null;
}

/**
 * Counts a sign-in attempt as failed *before* its password is compared, in one transaction with the
 * check: 60 parallel guesses from one address get 5 reservations and 55 refusals, never 60 checks.
 * Both the username and the client address are limited: the first stops guessing one account from
 * many machines, the second stops one machine trying many accounts.
 */
export function reserveLoginAttempt(db: Db, username: string, clientIp: string, now = Date.now()): LoginReservation {
  const userKey = usernameKey(username);
  // Synchronous from check to insert: no other request can run in between.
  return db.transaction((tx) => {
    const retryAfterS = secondsBlocked(tx, userKey, clientIp, now);
    if (retryAfterS > 0) return { allowed: false as const, retryAfterS };
    tx.delete(loginFailures)
      .where(lt(loginFailures.at, new Date(now - WINDOW_MS)))
      .run();
    const row = tx
      .insert(loginFailures)
      .values({ username: userKey, clientIp, at: new Date(now) })
      .returning({ id: loginFailures.id })
      .get();
    return { allowed: true as const, attemptId: row.id };
  });
}

/** Seconds until this name and address may try again (0: now), without reserving anything. */
export function loginRetryAfter(db: Db, username: string, clientIp: string, now = Date.now()): number {
  return secondsBlocked(db, usernameKey(username), clientIp, now);
}

function secondsBlocked(db: Reader, userKey: string, clientIp: string, now: number): number {
  const until = Math.max(blockedUntil(db, loginFailures.username, userKey, now) ?? 0, blockedUntil(db, loginFailures.clientIp, clientIp, now) ?? 0);
  return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : 0;
}

/** A successful sign-in withdraws its own reservation and forgets that account's failures from this address. */
export function settleSuccessfulLogin(db: Db, attemptId: number, username: string, clientIp: string) {
  db.delete(loginFailures).where(eq(loginFailures.id, attemptId)).run();
  db.delete(loginFailures)
    .where(and(eq(loginFailures.username, usernameKey(username)), eq(loginFailures.clientIp, clientIp)))
    .run();
}

export function describeRetry(retryAfterS: number): string {
  const minutes = Math.ceil(retryAfterS / 60);
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

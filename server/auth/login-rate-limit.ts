import { and, eq, gte, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { loginFailures } from "../db/schema";

export const MAX_FAILURES = 5;
export const WINDOW_MS = 15 * 60 * 1000;

export type LoginGate = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * Both the username and the client address are limited: the first stops guessing one
 * account from many machines, the second stops one machine trying many accounts.
 */
export function checkLoginAllowed(db: Db, username: string, clientIp: string, now = Date.now()): LoginGate {
  const since = new Date(now - WINDOW_MS);
  let oldestBlocking: number | null = null;
  const keys = [
    [loginFailures.username, username],
    [loginFailures.clientIp, clientIp],
  ] as const;
  for (const [column, key] of keys) {
    const rows = db
      .select({ at: loginFailures.at })
      .from(loginFailures)
      .where(and(eq(column, key), gte(loginFailures.at, since)))
      .orderBy(sql`${loginFailures.at} desc`)
      .limit(MAX_FAILURES)
      .all();
    if (rows.length >= MAX_FAILURES) {
      // The block lifts when the oldest of the last MAX_FAILURES failures leaves the window.
      const at = rows[MAX_FAILURES - 1]!.at.getTime();
      oldestBlocking = Math.max(oldestBlocking ?? 0, at);
    }
  }
  if (oldestBlocking === null) return { allowed: true };
  return { allowed: false, retryAfterS: Math.max(1, Math.ceil((oldestBlocking + WINDOW_MS - now) / 1000)) };
}

export function recordLoginFailure(db: Db, username: string, clientIp: string, now = Date.now()) {
  db.insert(loginFailures).values({ username, clientIp, at: new Date(now) }).run();
  db.delete(loginFailures)
    .where(lt(loginFailures.at, new Date(now - WINDOW_MS)))
    .run();
}

/** A successful sign-in forgets that account's failures from this address. */
export function clearLoginFailures(db: Db, username: string, clientIp: string) {
  db.delete(loginFailures)
    .where(and(eq(loginFailures.username, username), eq(loginFailures.clientIp, clientIp)))
    .run();
}

export function describeRetry(retryAfterS: number): string {
  const minutes = Math.ceil(retryAfterS / 60);
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}


/**
 * Bearer tokens for Prometheus scrapers of `/metrics`, made by an admin.
 *
 * Only a SHA-256 of each token is stored, not argon2 as for passwords: a token is 32 random bytes
 * (256 bits), so no guess list and no amount of hashing speed makes reversing its hash feasible —
 * a slow hash exists to protect low-entropy secrets people choose. A slow hash would instead cost
 * tens of milliseconds of CPU on every scrape and on every request with a made-up token (an easy
 * way to load the server), and a salted hash could not be found by its value.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { metricsTokens } from "@/server/db/schema";
import { ServiceError } from "@/server/errors";

/** Recognisable in a config file or a secret scanner's findings. */
const TOKEN_PREFIX = "kvmm_metrics_";
/** Writing "last used" on every scrape (every 15 s or so) would only churn the database file. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface MetricsTokenInfo {
  id: number;
  name: string;
  createdByName: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

function hashToken(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Newest first; revoked tokens too, so the list shows what was revoked and when. */
export function listMetricsTokens(db: Db): MetricsTokenInfo[] {
  return db
    .select({
      id: metricsTokens.id,
      name: metricsTokens.name,
      createdByName: metricsTokens.createdByName,
      createdAt: metricsTokens.createdAt,
      lastUsedAt: metricsTokens.lastUsedAt,
      revokedAt: metricsTokens.revokedAt,
    })
    .from(metricsTokens)
    .orderBy(desc(metricsTokens.createdAt), desc(metricsTokens.id))
    .all();
}

/** Makes a token and returns its text: the only time it exists outside the scraper's configuration. */
export function createMetricsToken(db: Db, name: string, creator: { id: number; username: string }): { id: number; name: string; token: string } {
  const live = db
    .select({ id: metricsTokens.id })
    .from(metricsTokens)
    .where(and(eq(metricsTokens.name, name), isNull(metricsTokens.revokedAt)))
    .get();
  if (live) throw new ServiceError(`metrics token "${name}" already exists: revoke it first or choose another name`, "conflict", { field: "name" });
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  const row = db
    .insert(metricsTokens)
    .values({ name, tokenHash: hashToken(token).toString("hex"), createdBy: creator.id, createdByName: creator.username })
    .returning({ id: metricsTokens.id })
    .get();
  return { id: row.id, name, token };
}

/** The token's name, for the audit row and messages; not found when there is no such token. */
export function metricsTokenName(db: Db, id: number): string {
  const row = db.select({ name: metricsTokens.name }).from(metricsTokens).where(eq(metricsTokens.id, id)).get();
  if (!row) throw new ServiceError(`metrics token #${id} does not exist`, "not_found");
  return row.name;
}

/** Revoking twice is harmless: the first time is kept. */
export function revokeMetricsToken(db: Db, id: number, now: Date = new Date()): void {
  metricsTokenName(db, id);
  db.update(metricsTokens)
    .set({ revokedAt: now })
    .where(and(eq(metricsTokens.id, id), isNull(metricsTokens.revokedAt)))
    .run();
}

/**
 * The live token that matches the presented text, or null. Every live token's hash is compared in
 * constant time and all of them are compared, so the answer's timing says nothing about how close
 * a guess came or which token it resembled.
 */
export function verifyMetricsToken(db: Db, presented: string, now: Date = new Date()): { id: number; name: string } | null {
  const presentedHash = hashToken(presented);
  const live = db
    .select({ id: metricsTokens.id, name: metricsTokens.name, tokenHash: metricsTokens.tokenHash, lastUsedAt: metricsTokens.lastUsedAt })
    .from(metricsTokens)
    .where(isNull(metricsTokens.revokedAt))
    .all();
  let match: (typeof live)[number] | null = null;
  for (const row of live) {
    const stored = Buffer.from(row.tokenHash, "hex");
    if (stored.length === presentedHash.length && timingSafeEqual(stored, presentedHash)) match = row;
  }
  if (!match) return null;
  if (!match.lastUsedAt || now.getTime() - match.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    db.update(metricsTokens).set({ lastUsedAt: now }).where(eq(metricsTokens.id, match.id)).run();
  }
  return { id: match.id, name: match.name };
}

/** The token of an `Authorization: Bearer <token>` header, or null when the header is absent or of another scheme. */
export function bearerToken(authorization: string | null): string | null {
  const m = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(authorization ?? "");
  return m ? m[1]! : null;
}

import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { GRANT_KINDS, ROLES } from "../auth/roles";
import { LOCALES } from "../i18n/locales";

export { GRANT_KINDS, ROLES, type GrantKind, type Role } from "../auth/roles";

const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  role: text("role", { enum: ROLES }).notNull(),
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  createdAt: createdAt(),
  lastLoginAt: integer("last_login_at", { mode: "timestamp_ms" }),
  /** The language chosen in Settings; null follows the browser's. */
  locale: text("locale", { enum: LOCALES }),
});

/**
 * One row per sign-in. The browser's cookie only names its row (`sid` inside the signed token), so
 * the server can end a session before its cookie expires: on sign-out, on a password, role or grant
 * change, from "sign out everywhere", or when the user is disabled.
 */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    clientIp: text("client_ip").notNull(),
    userAgent: text("user_agent").notNull(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    revokedWhy: text("revoked_why"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

/** A user with no grants sees every VM; with grants, only VMs matching at least one of them. */
export const grants = sqliteTable(
  "grants",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: GRANT_KINDS }).notNull(),
    value: text("value").notNull(),
  },
  (t) => [index("grants_user_idx").on(t.userId)],
);

export const hosts = sqliteTable("hosts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  uri: text("uri").notNull(),
  createdAt: createdAt(),
});

export const AUDIT_RESULTS = ["ok", "error", "denied", "invalid"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: createdAt(),
    userId: integer("user_id"),
    username: text("username"),
    action: text("action").notNull(),
    target: text("target"),
    input: text("input"),
    result: text("result", { enum: AUDIT_RESULTS }).notNull(),
    error: text("error"),
    clientIp: text("client_ip"),
    /** How many refusals one row stands for: signed-out refusals are summed per address and minute. */
    count: integer("count").notNull().default(1),
  },
  (t) => [index("audit_at_idx").on(t.at), index("audit_action_idx").on(t.action)],
);

export const loginFailures = sqliteTable(
  "login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: createdAt(),
    /** A keyed hash of the name typed, never the text: people type passwords into the username field. */
    username: text("username").notNull(),
    clientIp: text("client_ip").notNull(),
  },
  (t) => [index("login_failures_user_idx").on(t.username, t.at), index("login_failures_ip_idx").on(t.clientIp, t.at)],
);

// ── Prometheus scrape tokens (issue 11, item 9: /metrics) ────────────────────────────────────────
/**
 * A bearer token an admin made for a scraper. Only the SHA-256 of the token is kept: the token is
 * shown once, when it is made. A revoked token stays listed (who made it, when it was last used)
 * but no longer opens /metrics.
 */
export const metricsTokens = sqliteTable(
  "metrics_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** Hex SHA-256 of the whole token text. */
    tokenHash: text("token_hash").notNull().unique(),
    createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
    /** Kept beside the id: the account may be deleted, the record of who made the token stays. */
    createdByName: text("created_by_name").notNull(),
    createdAt: createdAt(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  // Two live tokens never share a name (the list and the audit log tell them apart by it); a revoked one frees its name.
  (t) => [
    uniqueIndex("metrics_tokens_live_name_idx")
      .on(t.name)
      .where(sql`${t.revokedAt} is null`),
  ],
);

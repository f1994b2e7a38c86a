import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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

import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

import { GRANT_KINDS, ROLES } from "../auth/roles";
import { LOCALES } from "../i18n/locales";
// Alerts (issue 11, item 5): the enums of the block at the end of this file.
import { ALERT_COMPARISONS, ALERT_SEVERITIES, ALERT_STATES, SILENCE_KINDS } from "../alerts/kinds";

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

// ── Alerts (issue 11, item 5: alert rules and their evaluation; server/alerts/) ──────────────────

/** A rule: what to watch (a metric or an event kind), where (scope), when it fires and when it resolves. */
export const alertRules = sqliteTable("alert_rules", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  /** A key of METRICS, a derived percentage, or an event kind (server/alerts/rules.ts: ALERT_METRICS). */
  metric: text("metric").notNull(),
  /** The scope as JSON (server/alerts/rules.ts: scopeSchema): all VMs, a host, a tag or one VM. */
  scope: text("scope").notNull(),
  comparison: text("comparison", { enum: ALERT_COMPARISONS }).notNull(),
  threshold: real("threshold").notNull(),
  resolveThreshold: real("resolve_threshold").notNull(),
  forMs: integer("for_ms").notNull(),
  severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * The default rules ever created on this install, by key: a default a user deleted stays deleted,
 * because seeding looks here, not at alert_rules.
 */
export const alertDefaultsSeeded = sqliteTable("alert_defaults_seeded", {
  key: text("key").primaryKey(),
  at: createdAt(),
});

/** One alert: a rule that fired for one subject (a VM, or a host when `uuid` is null), and what became of it. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Null once the rule is deleted; the alert keeps the rule's name, metric and severity as they were. */
    ruleId: integer("rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    ruleName: text("rule_name").notNull(),
    metric: text("metric").notNull(),
    severity: text("severity", { enum: ALERT_SEVERITIES }).notNull(),
    hostId: text("host_id").notNull(),
    uuid: text("uuid"),
    vmName: text("vm_name"),
    state: text("state", { enum: ALERT_STATES }).notNull(),
    /** The value that fired it (null for events), and the one that resolved it. */
    value: real("value"),
    resolvedValue: real("resolved_value"),
    threshold: real("threshold").notNull(),
    firedAt: integer("fired_at", { mode: "timestamp_ms" }).notNull(),
    acknowledgedAt: integer("acknowledged_at", { mode: "timestamp_ms" }),
    acknowledgedBy: text("acknowledged_by"),
    resolvedAt: integer("resolved_at", { mode: "timestamp_ms" }),
    /** A silence matched when it fired: recorded, but nobody was notified. */
    silenced: integer("silenced", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [index("alerts_state_idx").on(t.state), index("alerts_vm_idx").on(t.hostId, t.uuid), index("alerts_fired_idx").on(t.firedAt)],
);

/** A silence: alerts of a rule, a VM or a tag still fire and are recorded, but notify nobody until `endsAt`. */
export const alertSilences = sqliteTable("alert_silences", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  kind: text("kind", { enum: SILENCE_KINDS }).notNull(),
  /** The rule id, `hostId/uuid` of the VM, or the tag. */
  value: text("value").notNull(),
  endsAt: integer("ends_at", { mode: "timestamp_ms" }).notNull(),
  reason: text("reason").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: createdAt(),
});

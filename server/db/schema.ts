import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

import { GRANT_KINDS, ROLES } from "../auth/roles";
import { LOCALES } from "../i18n/locales";
import { METRIC_KEYS, type MetricKey } from "../metrics/sample";
// Alerts (issue 11, item 5): the enums of the block at the end of this file.
import { ALERT_COMPARISONS, ALERT_SEVERITIES, ALERT_STATES, SILENCE_KINDS } from "../alerts/kinds";
// Insights (issue 11, item 8): the enums of the "Insights" block at the end of this file.
import { INSIGHT_KINDS, INSIGHT_SEVERITIES } from "../insights/kinds";
// Tasks (issue 12, item 1): the enums of the tasks block at the end of this file.
import { TASK_KINDS, TASK_STATES, TASK_TARGET_KINDS } from "../tasks/kinds";
// Backups (issue 12, item 4): the enums of the "Backups" block at the end of this file.
import { BACKUP_CONSISTENCIES, BACKUP_KINDS, BACKUP_STATES, BACKUP_VERIFY_STATES } from "../backups/kinds";
// Templates (issue 12, item 2): the enum of the "Templates" block at the end of this file.
import { TEMPLATE_STATES } from "../templates/kinds";

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
  /** The URI the connection uses, with the parameters the manager adds (server/hosts/service.ts). */
  uri: text("uri").notNull(),
  /** A disabled host is not connected to; its VMs are not listed (issue 14). */
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /** ssh hosts: the host key line pinned when the host was added (`ssh-ed25519 AAAA…`). */
  hostKey: text("host_key"),
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

// ── Metrics history (issue 11, item 3: history in SQLite with retention) ─────────────────────────
//
// Layout: one WIDE row per subject (a VM or a host) per tick, one REAL column per METRICS key,
// instead of a narrow (subject, metric, time, value) table. At 1,000 VMs every 5 s that is
// 17,280 ticks × 1,001 subjects ≈ 17.3 M rows per day of raw samples (the default 24 h window),
// where the narrow layout would hold 12 × as many (≈ 207 M) and repeat the subject, the time and an
// index entry in each. The rollups are wide the same way: min/avg/max per metric, 1,440 (1-min) and
// 24 (1-h) rows per subject and day, i.e. ≈ 10 M 1-min rows for 7 days and ≈ 2.2 M 1-h rows for
// 90 days at 1,000 VMs. Measured (scripts/bench/metrics-history.ts, index included): a raw row
// ≈ 140 bytes, a rollup row ≈ 350 bytes (a null costs one header byte; SQLite writes whole-number
// REALs as small integers), so the default retention at 1,000 VMs is ≈ 2.4 + 3.5 + 0.8 ≈ 6.7 GB.
// Subjects are a small table of their own so that each sample row carries an integer, not a host id
// and a 36-character UUID. Columns are derived from METRICS (the key with "." → "_", camelCase →
// snake_case): a metric added there gets its column from the next generated migration, and keys are
// never renamed, so neither are columns. Every time is milliseconds since the epoch.

/** "vm.disk.readOps" → "vm_disk_read_ops": a metric's column in the history tables. */
export function metricColumn(key: MetricKey): string {
  return key
    .replace(/\./g, "_")
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase();
}

const rawMetricColumns = () => Object.fromEntries(METRIC_KEYS.map((key) => [key, real(metricColumn(key))]));
const rollupMetricColumns = () =>
  Object.fromEntries(METRIC_KEYS.flatMap((key) => (["min", "avg", "max"] as const).map((stat) => [`${key}:${stat}`, real(`${metricColumn(key)}_${stat}`)])));

/** What a history row is about: a host (uuid "") or one VM on it. Rows of a VM removed long ago are pruned with it. */
export const metricSubjects = sqliteTable(
  "metric_subjects",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["vm", "host"] }).notNull(),
    hostId: text("host_id").notNull(),
    uuid: text("uuid").notNull(),
  },
  (t) => [uniqueIndex("metric_subjects_ref_idx").on(t.kind, t.hostId, t.uuid)],
);

/** Raw samples, one row per subject per tick; "one VM, one metric, time range" reads the (subject, at) index. */
export const metricRaw = sqliteTable(
  "metric_raw",
  {
    subjectId: integer("subject_id").notNull(),
    at: integer("at").notNull(),
    ...rawMetricColumns(),
  },
  (t) => [index("metric_raw_subject_at_idx").on(t.subjectId, t.at)],
);

/**
 * The rollup tables' key is their rowid, `subject_id × 2³² + the bucket's minute number` (see
 * rollupRowId in server/metrics/history.ts): SQLite stores a table in rowid order, so one subject's
 * buckets lie side by side in time order — a 7-day read of one VM touches ~900 pages instead of a
 * page per row, as it would with rows in insertion order and a separate (subject, time) index — and
 * no second index is needed. A re-run rollup replaces its rows by this key.
 */
const rollupTable = (name: string) =>
  sqliteTable(name, {
    id: integer("id").primaryKey(),
    subjectId: integer("subject_id").notNull(),
    /** The bucket's start. */
    at: integer("at").notNull(),
    ...rollupMetricColumns(),
  });

/** 1-minute min/avg/max per metric. */
export const metricMinute = rollupTable("metric_1m");

/** 1-hour min/avg/max per metric, rolled up from the raw samples (exact averages, not averages of averages). */
export const metricHour = rollupTable("metric_1h");

/** How far each rollup has got: every bucket before `rolled_until` is complete and written. */
export const metricRollupState = sqliteTable("metric_rollup_state", {
  resolution: text("resolution", { enum: ["1m", "1h"] }).primaryKey(),
  rolledUntil: integer("rolled_until").notNull(),
});

/** Settings an admin changes at run time, one JSON document per key (validated by its owner's zod schema on read and write). */
export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

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

// ── Insights (issue 11, item 8: computed daily from the metrics history; server/insights/) ────────

/** The insights of the latest computation: each run replaces them all (they are a view, not a record). */
export const insights = sqliteTable(
  "insights",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: INSIGHT_KINDS }).notNull(),
    severity: text("severity", { enum: INSIGHT_SEVERITIES }).notNull(),
    hostId: text("host_id").notNull(),
    /** Null for a host insight. */
    uuid: text("uuid"),
    vmName: text("vm_name"),
    /** The figures behind it as JSON (server/insights/rules.ts: InsightFigures). */
    figures: text("figures").notNull(),
  },
  (t) => [index("insights_vm_idx").on(t.hostId, t.uuid)],
);

/** The latest computation (one row, id 1): when, what started it, and (JSON) which kinds still wait for history and which hosts did not answer. */
export const insightRuns = sqliteTable("insight_runs", {
  id: integer("id").primaryKey(),
  at: integer("at", { mode: "timestamp_ms" }).notNull(),
  trigger: text("trigger", { enum: ["schedule", "user"] }).notNull(),
  notes: text("notes").notNull(),
});

/** When this manager last saw each VM's agents connected (our agent, qemu-guest-agent), for "VM without any agent". */
export const agentSightings = sqliteTable(
  "agent_sightings",
  {
    hostId: text("host_id").notNull(),
    uuid: text("uuid").notNull(),
    agentAt: integer("agent_at", { mode: "timestamp_ms" }),
    qgaAt: integer("qga_at", { mode: "timestamp_ms" }),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.uuid] })],
);

// ── Tasks (issue 12, item 1: long operations with progress, cancel and log; server/tasks/) ──────
/**
 * One long operation (an upload, a clone, a snapshot with memory; later backups, restores,
 * template deploys, migrations): who started it, on what, how far it got and how it ended. A row
 * in state "running" belongs to this process; at start-up every such row left by an earlier
 * process becomes "interrupted". Finished rows are pruned after the retention (server/tasks/store.ts).
 */
export const tasks = sqliteTable(
  "tasks",
  {
    /** Random hex: an id seen in a URL tells nothing about other tasks. */
    id: text("id").primaryKey(),
    kind: text("kind", { enum: TASK_KINDS }).notNull(),
    hostId: text("host_id").notNull(),
    targetKind: text("target_kind", { enum: TASK_TARGET_KINDS }).notNull(),
    /** The VM's name, "pool/volume", the pool's name, or the host id. */
    targetName: text("target_name").notNull(),
    /** The VM's UUID for a VM target (its page links here), else null. */
    targetUuid: text("target_uuid"),
    /** A second thing the task makes (the clone's name, the snapshot's name), shown beside the target. */
    detail: text("detail"),
    userId: integer("user_id").references(() => users.id, { onDelete: "set null" }),
    /** Kept beside the id: the account may be deleted, the record of who started the task stays. */
    username: text("username").notNull(),
    state: text("state", { enum: TASK_STATES }).notNull(),
    /** 0..1 when known; null when the operation cannot tell how far it is. */
    progress: real("progress"),
    bytesDone: integer("bytes_done"),
    bytesTotal: integer("bytes_total"),
    /** Whether a cancel can stop it now (the operation said it honours its AbortSignal). */
    cancellable: integer("cancellable", { mode: "boolean" }).notNull().default(false),
    /** JSON { dropped, lines: [{ at, text }] }, at most TASK_LOG_LINES lines (server/tasks/kinds.ts). */
    log: text("log").notNull().default("[]"),
    /** JSON of what the operation answered (a clone's uuid and name), null until it succeeded. */
    result: text("result"),
    /** In plain words, naming the thing: why it failed, or what the cancel left behind. */
    error: text("error"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("tasks_state_idx").on(t.state), index("tasks_started_idx").on(t.startedAt), index("tasks_target_idx").on(t.hostId, t.targetUuid)],
);

// ── Alert notifications (issue 11, item 7: webhooks, e-mail, the delivery queue and log; server/notifications/) ──
/**
 * Where an alert is told besides the app: a webhook endpoint (URL and signing secret) or a list of
 * e-mail recipients. The secret is write-only: no API answer carries it once it is set.
 */
export const notificationChannels = sqliteTable("notification_channels", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  kind: text("kind", { enum: ["webhook", "email"] }).notNull(),
  name: text("name").notNull().unique(),
  /** Webhook only. */
  url: text("url"),
  secret: text("secret"),
  /** E-mail only: the addresses as a JSON array. */
  recipients: text("recipients"),
  createdAt: createdAt(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

/** Which channels a rule notifies (in-app is always on and has no row). */
export const alertRuleChannels = sqliteTable(
  "alert_rule_channels",
  {
    ruleId: integer("rule_id")
      .notNull()
      .references(() => alertRules.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
  },
  (t) => [uniqueIndex("alert_rule_channels_pk").on(t.ruleId, t.channelId)],
);

/**
 * One notification of one alert event (fired or resolved) to one channel: the queue (pending rows
 * with the time of their next attempt) and, once finished, the log. The body is the snapshot taken
 * when the alert changed, so a retry after a restart sends what the first attempt sent.
 */
export const notificationDeliveries = sqliteTable(
  "notification_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    alertId: integer("alert_id")
      .notNull()
      .references(() => alerts.id, { onDelete: "cascade" }),
    /** Null once the channel is deleted; its name and kind stay for the log. */
    channelId: integer("channel_id").references(() => notificationChannels.id, { onDelete: "set null" }),
    channelName: text("channel_name").notNull(),
    channelKind: text("channel_kind", { enum: ["webhook", "email"] }).notNull(),
    event: text("event", { enum: ["fired", "resolved"] }).notNull(),
    body: text("body").notNull(),
    state: text("state", { enum: ["pending", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("notification_deliveries_due_idx").on(t.state, t.nextAttemptAt), index("notification_deliveries_alert_idx").on(t.alertId)],
);

/** Each attempt of a delivery: when, how it ended, the HTTP status or SMTP reply, the error (bounded). */
export const notificationAttempts = sqliteTable(
  "notification_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    deliveryId: integer("delivery_id")
      .notNull()
      .references(() => notificationDeliveries.id, { onDelete: "cascade" }),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    outcome: text("outcome", { enum: ["delivered", "retry", "failed"] }).notNull(),
    httpStatus: integer("http_status"),
    reply: text("reply"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("notification_attempts_delivery_idx").on(t.deliveryId)],
);

// ── Backups (issue 12, item 4: backup targets, backups of VMs, verification; server/backups/) ──────
/** A storage pool (dir or netfs) that backups are written into: each backup is a directory under the pool's path. */
export const backupTargets = sqliteTable(
  "backup_targets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    hostId: text("host_id").notNull(),
    pool: text("pool").notNull(),
    /** The pool's directory when it was marked (the manager reads and writes the backup files there). */
    path: text("path").notNull(),
    createdAt: createdAt(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("backup_targets_pool_idx").on(t.hostId, t.pool)],
);

/** One backup of one VM: its files are in `dir` (disk images, domain.xml, manifest.json with the SHA-256 of each). */
export const backups = sqliteTable(
  "backups",
  {
    /** Random hex; also names the checkpoint (kvmm-<id>) and ends the directory's name. */
    id: text("id").primaryKey(),
    hostId: text("host_id").notNull(),
    vmUuid: text("vm_uuid").notNull(),
    vmName: text("vm_name").notNull(),
    pool: text("pool").notNull(),
    dir: text("dir").notNull(),
    kind: text("kind", { enum: BACKUP_KINDS }).notNull(),
    /** The backup an incremental one builds on (restoring it needs the whole chain). */
    parentId: text("parent_id"),
    /** The libvirt checkpoint taken with it (the next incremental starts there); null when a disk is not qcow2 or the VM was off. */
    checkpoint: text("checkpoint"),
    state: text("state", { enum: BACKUP_STATES }).notNull(),
    consistency: text("consistency", { enum: BACKUP_CONSISTENCIES }),
    /** How the guest was quiesced (kvmm-agent, qemu-ga, none) and, when not, why. */
    quiesceMethod: text("quiesce_method"),
    consistencyReason: text("consistency_reason"),
    /** JSON [{ target, file, format, source, virtualBytes }]: the disks backed up. */
    disks: text("disks").notNull().default("[]"),
    /** Bytes of the backup's files on the target. */
    bytes: integer("bytes"),
    /** Sum of the disks' virtual sizes. */
    virtualBytes: integer("virtual_bytes"),
    taskId: text("task_id"),
    /** The schedule that made it (its retention counts only these); null for "Back up now". Kept when the schedule goes. */
    scheduleId: integer("schedule_id"),
    error: text("error"),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    finishedAt: integer("finished_at", { mode: "timestamp_ms" }),
    verifyState: text("verify_state", { enum: BACKUP_VERIFY_STATES }),
    verifyDetail: text("verify_detail"),
    verifiedAt: integer("verified_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("backups_vm_idx").on(t.hostId, t.vmUuid), index("backups_started_idx").on(t.startedAt), index("backups_parent_idx").on(t.parentId)],
);

// ── Schedules (issue 12, item 3: scheduled VM actions; server/automation/) ───────────────────────

/**
 * A schedule: an action on a target at the times a cron expression names in a time zone. It runs
 * with its creator's rights, checked again at every run. `firedThrough` is the latest fire time
 * accounted for (run, skipped or missed): a restarted engine compares the next fire after it with
 * the clock to find fires missed while the manager was stopped.
 */
export const schedules = sqliteTable("schedules", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  targetKind: text("target_kind", { enum: ["vm", "tag", "host"] }).notNull(),
  /** The host of a "vm" or "host" target; for a "tag" target, null (every host) or the one host it is narrowed to. */
  hostId: text("host_id"),
  vmUuid: text("vm_uuid"),
  /** The VM's name when the schedule was saved, for lists that cannot reach its host. */
  vmName: text("vm_name"),
  tag: text("tag"),
  action: text("action", { enum: ["start", "shutdown", "reboot", "snapshot", "backup"] }).notNull(),
  /** The action's options as JSON, validated by the action's own schema (server/automation/actions.ts). */
  options: text("options").notNull(),
  cron: text("cron").notNull(),
  timeZone: text("time_zone").notNull(),
  missedPolicy: text("missed_policy", { enum: ["skip", "runOnce"] }).notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  createdBy: integer("created_by").references(() => users.id, { onDelete: "set null" }),
  createdByName: text("created_by_name").notNull(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  firedThrough: integer("fired_through", { mode: "timestamp_ms" }).notNull(),
});

/** One run of a schedule: when, why (a cron fire, run now, a catch-up after a restart), how it ended, one line per VM. */
export const scheduleRuns = sqliteTable(
  "schedule_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    scheduleId: integer("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    trigger: text("trigger", { enum: ["cron", "manual", "catchUp"] }).notNull(),
    /** The fire time it was for (cron, catchUp); null for a run now. */
    firedFor: integer("fired_for", { mode: "timestamp_ms" }),
    startedAt: integer("started_at", { mode: "timestamp_ms" }).notNull(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
    result: text("result", { enum: ["running", "ok", "failed", "skipped"] }).notNull(),
    /** JSON: [{ hostId, uuid, name, ok, message }] — bounded by the VMs a target covers. */
    outcomes: text("outcomes").notNull(),
    /** Why it failed or was skipped, naming the schedule, VM and host where one is to blame. */
    error: text("error"),
    /** Who asked for a run now. */
    byUser: text("by_user"),
  },
  (t) => [index("schedule_runs_schedule_idx").on(t.scheduleId, t.startedAt)],
);

/** The snapshots a schedule took: its "keep the last N" deletes only these, oldest first. */
export const scheduleSnapshots = sqliteTable(
  "schedule_snapshots",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    scheduleId: integer("schedule_id")
      .notNull()
      .references(() => schedules.id, { onDelete: "cascade" }),
    hostId: text("host_id").notNull(),
    vmUuid: text("vm_uuid").notNull(),
    name: text("name").notNull(),
    takenAt: integer("taken_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("schedule_snapshots_vm_idx").on(t.scheduleId, t.hostId, t.vmUuid, t.takenAt)],
);

// ── Templates (issue 12, item 2: VM templates and deploys; server/templates/) ─────────────────────
/**
 * A template: copies of a shut-off VM's disks in a pool (`disks`, JSON TemplateDisk[]) and the VM's
 * definition with what must be unique removed (`domainXml`). "creating" while its task copies the
 * disks; a manager start turns a "creating" row left by an earlier process into "failed".
 */
export const templates = sqliteTable(
  "templates",
  {
    /** 16 random hex digits. */
    id: text("id").primaryKey(),
    hostId: text("host_id").notNull(),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** The VM it was made from, by the name it had then. */
    sourceVm: text("source_vm").notNull(),
    pool: text("pool").notNull(),
    state: text("state", { enum: TEMPLATE_STATES }).notNull(),
    error: text("error"),
    vcpus: integer("vcpus").notNull(),
    memoryMiB: integer("memory_mib").notNull(),
    domainXml: text("domain_xml").notNull(),
    disks: text("disks").notNull().default("[]"),
    createdAt: createdAt(),
    createdByUserId: integer("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    /** Kept beside the id: the account may be deleted, the record of who made the template stays. */
    createdBy: text("created_by"),
    taskId: text("task_id"),
  },
  (t) => [uniqueIndex("templates_host_name_idx").on(t.hostId, t.name)],
);

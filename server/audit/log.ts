import { and, asc, desc, eq, gte, isNull, lt, lte, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../db/client";
import { auditLog, type AuditResult } from "../db/schema";
import { auditTargets } from "./targets";

export interface AuditEntry {
  userId: number | null;
  username: string | null;
  action: string;
  target?: string | null;
  input?: unknown;
  result: AuditResult;
  error?: string | null;
  clientIp?: string | null;
  /** How many events the row stands for (refusals summed per address and minute); 1 by default. */
  count?: number;
}

/** Credentials of any kind: replaced outright. */
const SECRET_KEY = /pass(word|phrase)?|secret|token|key|credential/i;
/** What a user sends into a guest or a file (stdin, file bytes, cloud-init user-data): only its size is kept. */
const CONTENT_KEY = /^(stdin|content|contentBase64|content_base64|data|userData|user_data)$/;
/** Environment variables: the names are worth keeping, the values often hold secrets. */
const ENV_KEY = /^env(ironment)?$/i;
const MAX_INPUT_CHARS = 2000;

function redactValues(env: unknown): unknown {
  if (typeof env !== "object" || env === null) return "[redacted]";
  return Object.fromEntries(Object.keys(env).map((name) => [name, "[redacted]"]));
}

/**
 * A JSON summary of a procedure's input for the append-only audit log: secrets, contents and
 * environment values removed (they could never be taken out again), and bounded in size.
 */
export function summarizeInput(input: unknown): string | null {
  if (input === undefined) return null;
  const json = JSON.stringify(input, (key, value: unknown) => {
    if (!key) return value;
    if (SECRET_KEY.test(key)) return "[redacted]";
    if (CONTENT_KEY.test(key)) return typeof value === "string" ? `[${value.length} characters]` : "[redacted]";
    if (ENV_KEY.test(key)) return redactValues(value);
    if (typeof value === "string" && value.length > 200) return `${value.slice(0, 200)}…(${value.length} chars)`;
    return value;
  });
  if (json === undefined) return null;
  return json.length > MAX_INPUT_CHARS ? `${json.slice(0, MAX_INPUT_CHARS)}…` : json;
}

export function writeAudit(db: Db, entry: AuditEntry): void {
  db.insert(auditLog)
    .values({
      userId: entry.userId,
      username: entry.username,
      action: entry.action,
      target: entry.target ?? null,
      input: summarizeInput(entry.input),
      result: entry.result,
      error: entry.error ?? null,
      clientIp: entry.clientIp ?? null,
      count: entry.count ?? 1,
    })
    .run();
}

export interface AuditQuery {
  /**
   * What a user did, and the sign-ins attempted with their name by someone not signed in (a failed
   * sign-in is never recorded as done by anyone); `unknown user` finds sign-ins with names that
   * match no account.
   */
  username?: string;
  /** One action (`vms.power`), or every action of an area when it ends with a dot (`vms.`). */
  action?: string;
  /** Part of the target, any case: a VM's or pool's name finds every row about it (targets name them: server/audit/targets.ts). */
  target?: string;
  result?: AuditResult;
  since?: Date;
  until?: Date;
  /** Rows with an id below this one: keyset pagination that stays stable while rows are added. */
  beforeId?: number;
  limit: number;
}

export function listAudit(db: Db, q: AuditQuery) {
  const where: SQL[] = [];
  if (q.username === auditTargets.unknownUser) {
    where.push(eq(auditLog.target, auditTargets.unknownUser));
  } else if (q.username) {
    const attempted = and(eq(auditLog.action, "auth.login"), isNull(auditLog.username), eq(auditLog.target, auditTargets.user(q.username)));
    where.push(or(eq(auditLog.username, q.username), attempted)!);
  }
  if (q.action?.endsWith(".")) {
    const prefix = `${q.action.replace(/[%_\\]/g, "\\$&")}%`;
    where.push(sql`${auditLog.action} LIKE ${prefix} ESCAPE '\\'`);
  } else if (q.action) {
    where.push(eq(auditLog.action, q.action));
  }
  if (q.target) {
    const part = `%${q.target.replace(/[%_\\]/g, "\\$&")}%`;
    where.push(sql`${auditLog.target} LIKE ${part} ESCAPE '\\'`);
  }
  if (q.result) where.push(eq(auditLog.result, q.result));
  if (q.since) where.push(gte(auditLog.at, q.since));
  if (q.until) where.push(lte(auditLog.at, q.until));
  if (q.beforeId) where.push(lt(auditLog.id, q.beforeId));
  const rows = db
    .select()
    .from(auditLog)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(q.limit + 1)
    .all();
  const hasMore = rows.length > q.limit;
  const page = hasMore ? rows.slice(0, q.limit) : rows;
  return { rows: page, nextBeforeId: hasMore ? page[page.length - 1]!.id : null };
}

/** The actions the log holds, for the audit page's choice of action. */
export function auditActions(db: Db): string[] {
  return db
    .selectDistinct({ action: auditLog.action })
    .from(auditLog)
    .orderBy(asc(auditLog.action))
    .all()
    .map((r) => r.action);
}

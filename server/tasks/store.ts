import { and, desc, eq, isNotNull, lt, notInArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { coversHost } from "../auth/permissions";
import { vmVisibleTo } from "../events/visibility";
import type { SessionUser } from "../users/service";
import type { TaskKind, TaskState, TaskTargetKind } from "./kinds";

/** Reading, narrowing and pruning task rows; the runner (runner.ts) is the only writer of running ones. */

export interface TaskLogLine {
  at: string;
  text: string;
}

export interface TaskLog {
  /** Lines left out between the first ones and the last ones (the log is bounded). */
  dropped: number;
  lines: TaskLogLine[];
}

/** What a task that succeeded made, in a few named values (a clone's uuid and name, a volume's bytes and SHA-256). */
export type TaskResult = Record<string, string | number | boolean | null>;

/** A task as the event stream and the lists carry it: everything but its log. */
export interface TaskSummary {
  id: string;
  kind: TaskKind;
  hostId: string;
  targetKind: TaskTargetKind;
  targetName: string;
  targetUuid: string | null;
  detail: string | null;
  userId: number | null;
  username: string;
  state: TaskState;
  progress: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  cancellable: boolean;
  result: TaskResult | null;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export type TaskView = TaskSummary & { log: TaskLog };

function parseLog(text: string): TaskLog {
  try {
    const parsed = JSON.parse(text) as Partial<TaskLog>;
    return { dropped: Number(parsed.dropped) || 0, lines: Array.isArray(parsed.lines) ? parsed.lines : [] };
  } catch {
    return { dropped: 0, lines: [] };
  }
}

export function rowToView(row: typeof tasks.$inferSelect): TaskView {
  return {
    id: row.id,
    kind: row.kind,
    hostId: row.hostId,
    targetKind: row.targetKind,
    targetName: row.targetName,
    targetUuid: row.targetUuid,
    detail: row.detail,
    userId: row.userId,
    username: row.username,
    state: row.state,
    progress: row.progress,
    bytesDone: row.bytesDone,
    bytesTotal: row.bytesTotal,
    cancellable: row.cancellable,
    result: row.result === null ? null : (JSON.parse(row.result) as TaskResult),
    error: row.error,
    startedAt: row.startedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    endedAt: row.endedAt ? row.endedAt.toISOString() : null,
    log: parseLog(row.log),
  };
}

function summaryOf(view: TaskView): TaskSummary {
  const { log: _log, ...rest } = view;
  return rest;
}

export const INTERRUPTED_MESSAGE = "The manager stopped while this task ran; it did not finish.";

/** Every row still "running" was left by a process that ended: it is marked interrupted, never shown as running. Returns how many. */
export function interruptLeftovers(db: Db, now: number): number {
  const at = new Date(now);
  return db
    .update(tasks)
    .set({ state: "interrupted", cancellable: false, error: INTERRUPTED_MESSAGE, updatedAt: at, endedAt: at })
    .where(eq(tasks.state, "running"))
    .run().changes;
}

export interface TaskRetention {
  /** Finished tasks older than this are deleted. */
  maxAgeMs: number;
  /** At most this many finished tasks are kept (the newest). */
  maxFinished: number;
}

export const DEFAULT_TASK_RETENTION: TaskRetention = { maxAgeMs: 30 * 24 * 3600_000, maxFinished: 2000 };

/** Deletes finished tasks past the retention; running ones are never pruned. Returns how many were deleted. */
export function pruneTasks(db: Db, now: number, retention: TaskRetention = DEFAULT_TASK_RETENTION): number {
  const old = db
    .delete(tasks)
    .where(and(isNotNull(tasks.endedAt), lt(tasks.endedAt, new Date(now - retention.maxAgeMs))))
    .run().changes;
  const keep = db
    .select({ id: tasks.id })
    .from(tasks)
    .where(isNotNull(tasks.endedAt))
    .orderBy(desc(tasks.endedAt))
    .limit(retention.maxFinished)
    .all()
    .map((r) => r.id);
  const surplus = db
    .delete(tasks)
    .where(keep.length ? and(isNotNull(tasks.endedAt), notInArray(tasks.id, keep)) : isNotNull(tasks.endedAt))
    .run().changes;
  return old + surplus;
}

/**
 * Whether a user may see a task: one about a VM as the VM itself (the grants that narrow VM
 * lists), one about a host's volumes or pools only with grants that cover the host.
 */
export async function taskVisibleTo(user: SessionUser, task: TaskSummary, hostUri: (hostId: string) => string | undefined): Promise<boolean> {
  if (task.targetKind === "vm" && task.targetUuid) return vmVisibleTo(user, { hostId: task.hostId, uuid: task.targetUuid, name: task.targetName }, hostUri);
  return coversHost(user.role, user.grants, task.hostId);
}

export interface TaskFilter {
  state?: TaskState;
  kind?: TaskKind;
  /** Tasks about one VM. */
  vm?: { hostId: string; uuid: string };
  limit: number;
}

/** Rows read before narrowing: a user with grants sees fewer than were read, never more than `limit`. */
const SCAN_LIMIT = 1000;

/** Tasks the user may see, newest first, without their logs. */
export async function listTasks(db: Db, user: SessionUser, filter: TaskFilter, hostUri: (hostId: string) => string | undefined): Promise<TaskSummary[]> {
  const where = [
    filter.state ? eq(tasks.state, filter.state) : undefined,
    filter.kind ? eq(tasks.kind, filter.kind) : undefined,
    filter.vm ? and(eq(tasks.hostId, filter.vm.hostId), eq(tasks.targetUuid, filter.vm.uuid)) : undefined,
  ].filter((w) => w !== undefined);
  const rows = db
    .select()
    .from(tasks)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(tasks.startedAt), desc(sql`rowid`))
    .limit(user.role === "admin" || user.grants.length === 0 ? filter.limit : SCAN_LIMIT)
    .all()
    .map((row) => summaryOf(rowToView(row)));
  const out: TaskSummary[] = [];
  for (const task of rows) {
    if (out.length >= filter.limit) break;
    if (await taskVisibleTo(user, task, hostUri)) out.push(task);
  }
  return out;
}

/** One task with its log, or null when there is none the user may see (someone else's out of scope answers as missing). */
export async function getTask(db: Db, user: SessionUser, id: string, hostUri: (hostId: string) => string | undefined): Promise<TaskView | null> {
  const row = db.select().from(tasks).where(eq(tasks.id, id)).get();
  if (!row) return null;
  const view = rowToView(row);
  return (await taskVisibleTo(user, view, hostUri)) ? view : null;
}

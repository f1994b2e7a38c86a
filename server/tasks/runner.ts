import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { tasks } from "../db/schema";
import { publish as busPublish, type ManagerEvent } from "../events/bus";
import { processSingleton } from "../process-shared";
import { TASK_LOG_HEAD, TASK_LOG_LINE_CHARS, TASK_LOG_LINES, type TaskKind, type TaskState, type TaskTargetKind } from "./kinds";
import { interruptLeftovers, rowToView, type TaskLog, type TaskResult, type TaskSummary } from "./store";

/**
 * The task runner: the one way a long operation becomes a task row. See server/tasks/README.md
 * for the contract; in short:
 *
 *   const { id, done } = taskRunner(db).run(spec, async (task) => {
 *     task.progress({ bytesDone, bytesTotal });   // bounded, written and published at most every flushEveryMs
 *     task.log("copying vda");                    // bounded lines
 *     if (task.signal.aborted) throw …;           // cancel: the operation honours the signal
 *     return result;                              // the task succeeded
 *   }, (result) => ({ uuid: result.uuid }));      // what of it the row keeps (TaskResult)
 *
 * or, for an operation that is not one async function (an upload fed by many HTTP PUTs),
 * `open(spec)` gives the handle and the operation ends it itself (`succeed`, `fail`, `cancelled`).
 */

export interface TaskTarget {
  hostId: string;
  kind: TaskTargetKind;
  /** The VM's name, "pool/volume", the pool's name, or the host id. */
  name: string;
  /** Set for a VM target. */
  uuid?: string | null;
}

export interface TaskSpec {
  kind: TaskKind;
  target: TaskTarget;
  user: { id: number; username: string };
  /** What the task makes, beside its target: the clone's name, the snapshot's name. */
  detail?: string | null;
  /** Whether the operation honours `signal` from the start (`setCancellable` changes it later). */
  cancellable?: boolean;
  bytesTotal?: number | null;
}

export interface TaskProgress {
  /** 0..1; out-of-range values are clamped, non-finite ones ignored. Derived from the bytes when not given. */
  fraction?: number | null;
  bytesDone?: number | null;
  bytesTotal?: number | null;
}

export interface RunnerOptions {
  db: Db;
  now?: () => number;
  publish?: (event: ManagerEvent) => void;
  /** Progress is written and published at most this often per task; a state change always at once. */
  flushEveryMs?: number;
}

function clampFraction(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function cleanBytes(value: number | null | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  return Number.isFinite(value) ? Math.max(0, Math.floor(value)) : undefined;
}

/** A running task, as its operation holds it. */
export class TaskHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  private readonly abort = new AbortController();
  private readonly cancelHooks: (() => void)[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private lastFlush = 0;
  private ended = false;

  constructor(
    private readonly runner: TaskRunner,
    private readonly row: TaskSummary & { log: TaskLog },
  ) {
    this.id = row.id;
    this.signal = this.abort.signal;
  }

  get state(): TaskState {
    return this.row.state;
  }

  get cancellable(): boolean {
    return this.row.cancellable;
  }

  summary(): TaskSummary {
    const { log: _log, ...rest } = this.row;
    return { ...rest };
  }

  /** Moves the progress on; written and published at most every flushEveryMs (the last value is never lost). */
  progress(p: TaskProgress): void {
    if (this.ended) return;
    const total = cleanBytes(p.bytesTotal);
    if (total !== undefined) this.row.bytesTotal = total;
    const done = cleanBytes(p.bytesDone);
    if (done !== undefined) this.row.bytesDone = done === null || this.row.bytesTotal === null ? done : Math.min(done, this.row.bytesTotal);
    if (p.fraction !== undefined && p.fraction !== null && Number.isFinite(p.fraction)) this.row.progress = clampFraction(p.fraction);
    else if (p.fraction === null) this.row.progress = null;
    else if (this.row.bytesDone !== null && this.row.bytesTotal) this.row.progress = clampFraction(this.row.bytesDone / this.row.bytesTotal);
    this.scheduleFlush();
  }

  /** Adds a log line (trimmed to TASK_LOG_LINE_CHARS); beyond TASK_LOG_LINES the lines after the first TASK_LOG_HEAD are dropped oldest first. */
  log(text: string): void {
    if (this.ended) return;
    this.appendLog(text);
    this.scheduleFlush();
  }

  private appendLog(text: string): void {
    const log = this.row.log;
    log.lines.push({
      at: new Date(this.runner.now()).toISOString(),
      text: text.length > TASK_LOG_LINE_CHARS ? `${text.slice(0, TASK_LOG_LINE_CHARS - 1)}…` : text,
    });
    if (log.lines.length > TASK_LOG_LINES) {
      log.lines.splice(TASK_LOG_HEAD, log.lines.length - TASK_LOG_LINES);
      log.dropped += 1;
    }
  }

  /** Says whether a cancel can stop the operation now (an upload between its PUTs can; a libvirt call that cannot be aborted cannot). */
  setCancellable(value: boolean): void {
    if (this.ended || this.row.cancellable === value) return;
    this.row.cancellable = value;
    this.flush();
  }

  /**
   * The VM this task makes now exists (a deploy from a template): the row names it by UUID from
   * here on, so the VM's page links to the task and the VM's grants decide who sees it.
   */
  madeVm(uuid: string): void {
    if (this.ended || this.row.targetKind !== "vm" || this.row.targetUuid === uuid) return;
    this.row.targetUuid = uuid;
    this.flush();
  }

  /** Called once, when a user cancels, before `signal` aborts: for operations that stop by other means than the signal. */
  onCancel(hook: () => void): void {
    this.cancelHooks.push(hook);
  }

  /** A user asked to stop: the signal aborts, the operation ends the task ("cancelled" by `run`, or itself). */
  requestCancel(): void {
    if (this.ended || this.signal.aborted) return;
    this.appendLog("Cancel requested.");
    for (const hook of this.cancelHooks) hook();
    this.abort.abort(new Error("cancelled"));
    this.flush();
  }

  succeed(result?: TaskResult): void {
    this.end("succeeded", null, result);
  }

  fail(error: unknown): void {
    this.end("failed", error instanceof Error ? error.message : String(error));
  }

  /** Ended by a cancel; `note` says what was left (or that nothing was). */
  cancelled(note?: string): void {
    this.end("cancelled", note ?? null);
  }

  private end(state: TaskState, error: string | null, result?: TaskResult): void {
    if (this.ended) return;
    this.ended = true;
    this.row.state = state;
    this.row.error = error;
    this.row.result = result === undefined ? null : result;
    this.row.cancellable = false;
    if (state === "succeeded" && this.row.bytesTotal !== null) this.row.bytesDone = this.row.bytesTotal;
    if (state === "succeeded") this.row.progress = 1;
    this.row.endedAt = new Date(this.runner.now()).toISOString();
    if (error) this.appendLog(error);
    this.flush();
    this.runner.forget(this.id);
  }

  private scheduleFlush(): void {
    const wait = this.runner.flushEveryMs - (this.runner.now() - this.lastFlush);
    if (wait <= 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), wait);
  }

  /** Writes the row and publishes it (without its log: a browser reads the log when it shows it). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const now = this.runner.now();
    this.lastFlush = now;
    this.row.updatedAt = new Date(now).toISOString();
    const r = this.row;
    this.runner.db
      .update(tasks)
      .set({
        state: r.state,
        progress: r.progress,
        bytesDone: r.bytesDone,
        bytesTotal: r.bytesTotal,
        cancellable: r.cancellable,
        targetUuid: r.targetUuid,
        log: JSON.stringify(r.log),
        result: r.result === null ? null : JSON.stringify(r.result),
        error: r.error,
        updatedAt: new Date(now),
        endedAt: r.endedAt ? new Date(r.endedAt) : null,
      })
      .where(eq(tasks.id, r.id))
      .run();
    this.runner.announce(this.summary());
  }
}

export class TaskRunner {
  readonly db: Db;
  readonly now: () => number;
  readonly flushEveryMs: number;
  private readonly publish: (event: ManagerEvent) => void;
  private readonly live = new Map<string, TaskHandle>();

  /** Rows left "running" by an earlier process become "interrupted" here, before this runner starts any. */
  constructor(options: RunnerOptions) {
    this.db = options.db;
    this.now = options.now ?? Date.now;
    this.publish = options.publish ?? busPublish;
    this.flushEveryMs = options.flushEveryMs ?? 500;
    interruptLeftovers(this.db, this.now());
  }

  /** Creates the task row (state running) and hands its handle to the operation, which must end it. */
  open(spec: TaskSpec): TaskHandle {
    const now = this.now();
    const id = randomBytes(12).toString("hex");
    const bytesTotal = cleanBytes(spec.bytesTotal) ?? null;
    this.db
      .insert(tasks)
      .values({
        id,
        kind: spec.kind,
        hostId: spec.target.hostId,
        targetKind: spec.target.kind,
        targetName: spec.target.name,
        targetUuid: spec.target.uuid ?? null,
        detail: spec.detail ?? null,
        userId: spec.user.id,
        username: spec.user.username,
        state: "running",
        progress: bytesTotal ? 0 : null,
        bytesDone: bytesTotal === null ? null : 0,
        bytesTotal,
        cancellable: spec.cancellable ?? false,
        startedAt: new Date(now),
        updatedAt: new Date(now),
      })
      .run();
    const row = this.db.select().from(tasks).where(eq(tasks.id, id)).get()!;
    const handle = new TaskHandle(this, rowToView(row));
    this.live.set(id, handle);
    this.announce(handle.summary());
    return handle;
  }

  /**
   * Runs `operation` as a task. It succeeds with what the operation answers (`record` picks what
   * the row keeps of it); when the operation
   * throws, the task is "cancelled" if a cancel was requested and "failed" otherwise. `done`
   * settles as the operation does.
   */
  run<T>(
    spec: TaskSpec,
    operation: (task: TaskHandle) => Promise<T>,
    record: (result: T) => TaskResult | undefined = () => undefined,
  ): { id: string; task: TaskHandle; done: Promise<T> } {
    const task = this.open(spec);
    const done = (async () => {
      try {
        const result = await operation(task);
        task.succeed(record(result));
        return result;
      } catch (err) {
        if (task.signal.aborted) task.cancelled((err as Error).message === "cancelled" ? undefined : (err as Error).message);
        else task.fail(err);
        throw err;
      }
    })();
    return { id: task.id, task, done };
  }

  /** The handle of a task running in this process, if it is one. */
  handle(id: string): TaskHandle | undefined {
    return this.live.get(id);
  }

  /** @internal Called by a handle when it ends. */
  forget(id: string): void {
    this.live.delete(id);
  }

  /** @internal */
  announce(task: TaskSummary): void {
    this.publish({ type: "task", hostId: task.hostId, uuid: task.targetUuid, name: task.targetKind === "vm" ? task.targetName : null, task });
  }
}

const runners = processSingleton("taskRunners", () => new Map<string, TaskRunner>());

/**
 * The runner of a database file: one per file for the life of the process (the server's one;
 * each test's temporary one). Keyed by the file, not the Db object: the two module graphs of the
 * process (docs/ARCHITECTURE.md) each open their own Db on the same file, and must share the one
 * runner, so that its live tasks can be cancelled from either and its first use alone marks the
 * running tasks an earlier process left interrupted (server/jobs at start-up, else the router's
 * first read).
 */
export function taskRunner(db: Db): TaskRunner {
  const file = db.$client.name;
  let runner = runners.get(file);
  if (!runner) {
    runner = new TaskRunner({ db });
    runners.set(file, runner);
  }
  return runner;
}

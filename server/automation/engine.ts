import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { scheduleRuns, schedules } from "../db/schema";
import { uuidToString } from "../libvirt";
import { processSingleton } from "../process-shared";
import { SCHEDULE_ACTIONS, type ScheduleAction } from "./actions";
import { latestFireBetween, nextFire } from "./cron";
import type { ScheduleActionName } from "./options";
import { enabledScheduleRows, loadCreator, readHostConcurrency, scheduleContext, scheduleRowById, type RunOutcome, type ScheduleRow } from "./service";
import { resolveRunTargets, type RunTargets } from "./targets";
import type { SessionUser } from "../users/service";

/**
 * The schedules' engine, in the one server process (server/jobs starts and stops it). Each enabled
 * schedule has one timer for its next fire (croner computes the time; the timer is the clock's, so
 * tests move a fake clock through hours of fires in milliseconds). Semantics: server/automation/README.md.
 */

/** How the engine tells and waits for time: real timers in the server, a fake clock in tests. */
export interface EngineClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realEngineClock: EngineClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Timers longer than this are re-planned when they end (setTimeout cannot wait past ~24.8 days; a clock change is noticed within the hour). */
export const MAX_TIMER_MS = 3600_000;
/** The longest error text a run keeps (the per-VM lines keep the rest). */
const RUN_ERROR_CHARS = 2000;

export interface EngineOptions {
  db: Db;
  clock?: EngineClock;
  /** The actions (tests replace them with recording ones). */
  actions?: { [K in ScheduleActionName]: ScheduleAction<never> };
  /** The VMs a run acts on (tests replace libvirt). */
  resolveTargets?: (db: Db, user: SessionUser, schedule: ScheduleRow) => Promise<RunTargets>;
  log?: (message: string, error?: unknown) => void;
}

interface HostSlot {
  active: number;
  waiting: (() => void)[];
}

export interface StartedRun {
  runId: number;
  /** Settles when the run has ended and its row is written (never rejects). */
  done: Promise<void>;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ScheduleEngine {
  readonly db: Db;
  private readonly clock: EngineClock;
  private readonly actions: NonNullable<EngineOptions["actions"]>;
  private readonly resolveTargets: NonNullable<EngineOptions["resolveTargets"]>;
  private readonly log: NonNullable<EngineOptions["log"]>;
  private readonly timers = new Map<number, unknown>();
  private readonly running = new Map<number, Promise<void>>();
  private readonly slots = new Map<string, HostSlot>();
  private started = false;

  constructor(options: EngineOptions) {
    this.db = options.db;
    this.clock = options.clock ?? realEngineClock;
    this.actions = options.actions ?? SCHEDULE_ACTIONS;
    this.resolveTargets = options.resolveTargets ?? resolveRunTargets;
    this.log = options.log ?? ((message, error) => console.error(message, error ?? ""));
  }

  get isStarted(): boolean {
    return this.started;
  }

  /**
   * Closes the runs an earlier process left running, applies each enabled schedule's missed-run
   * policy (at most one catch-up run, whatever the number of fires missed), then plans every
   * schedule's next fire.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = new Date(this.clock.now());
    this.db
      .update(scheduleRuns)
      .set({ result: "failed", endedAt: now, error: "The manager stopped during this run" })
      .where(eq(scheduleRuns.result, "running"))
      .run();
    for (const row of enabledScheduleRows(this.db)) this.plan(this.catchUp(row, now));
  }

  /** Cancels every planned fire and waits for the runs in progress. */
  async stop(): Promise<void> {
    this.started = false;
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    await this.idle();
  }

  /** Waits until no run is in progress (tests; stop()). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** After a schedule was created, changed or deleted: its timer follows the stored row. */
  refresh(id: number): void {
    this.unplan(id);
    const row = scheduleRowById(this.db, id);
    if (row) this.plan(row);
  }

  /** A run now, by a user (the run itself uses the creator's rights, as every run does). */
  runNow(id: number, byUser: string): StartedRun {
    const row = scheduleRowById(this.db, id);
    if (!row) throw new Error(`schedule ${id} does not exist`);
    return this.startRun(row, "manual", null, byUser);
  }

  private catchUp(row: ScheduleRow, now: Date): ScheduleRow {
    let missed: Date | null;
    try {
      const next = nextFire(row.cron, row.timeZone, row.firedThrough);
      missed = next && next.getTime() <= now.getTime() ? (latestFireBetween(row.cron, row.timeZone, row.firedThrough, now) ?? next) : null;
    } catch (err) {
      this.log(`${scheduleContext(row.name)}: cannot compute its fire times`, err);
      return row;
    }
    if (!missed) return row;
    this.db.update(schedules).set({ firedThrough: missed }).where(eq(schedules.id, row.id)).run();
    const updated = { ...row, firedThrough: missed };
    if (row.missedPolicy === "runOnce") {
      this.startRun(updated, "catchUp", missed, null);
    } else {
      this.db
        .insert(scheduleRuns)
        .values({
          scheduleId: row.id,
          trigger: "catchUp",
          firedFor: missed,
          startedAt: now,
          endedAt: now,
          result: "skipped",
          outcomes: "[]",
          error: `${scheduleContext(row.name)}: missed while the manager was stopped (last due ${missed.toISOString()}); its policy is to skip missed runs`,
        })
        .run();
    }
    return updated;
  }

  private unplan(id: number): void {
    const handle = this.timers.get(id);
    if (handle !== undefined) this.clock.clearTimeout(handle);
    this.timers.delete(id);
  }

  private plan(row: ScheduleRow): void {
    this.unplan(row.id);
    if (!this.started || !row.enabled) return;
    const now = this.clock.now();
    let next: Date | null;
    try {
      next = nextFire(row.cron, row.timeZone, new Date(Math.max(now, row.firedThrough.getTime())));
    } catch (err) {
      this.log(`${scheduleContext(row.name)}: cannot compute its next fire`, err);
      return;
    }
    if (!next) return;
    const fireAt = next;
    const delay = Math.max(0, Math.min(fireAt.getTime() - now, MAX_TIMER_MS));
    this.timers.set(
      row.id,
      this.clock.setTimeout(() => this.onTimer(row.id, fireAt), delay),
    );
  }

  private onTimer(id: number, fireAt: Date): void {
    this.timers.delete(id);
    if (!this.started) return;
    const row = scheduleRowById(this.db, id);
    if (!row || !row.enabled) return;
    // A capped timer (or one that ended a moment early) only plans again.
    if (this.clock.now() < fireAt.getTime() || row.firedThrough.getTime() >= fireAt.getTime()) return this.plan(row);
    this.db.update(schedules).set({ firedThrough: fireAt }).where(eq(schedules.id, id)).run();
    const fired = { ...row, firedThrough: fireAt };
    this.startRun(fired, "cron", fireAt, null);
    this.plan(fired);
  }

  private startRun(row: ScheduleRow, trigger: "cron" | "manual" | "catchUp", firedFor: Date | null, byUser: string | null): StartedRun {
    const now = new Date(this.clock.now());
    const base = { scheduleId: row.id, trigger, firedFor, startedAt: now, outcomes: "[]", byUser };
    if (this.running.has(row.id)) {
      const skipped = this.db
        .insert(scheduleRuns)
        .values({ ...base, endedAt: now, result: "skipped", error: `${scheduleContext(row.name)}: its previous run was still going` })
        .returning({ id: scheduleRuns.id })
        .get();
      return { runId: skipped.id, done: Promise.resolve() };
    }
    const { id: runId } = this.db
      .insert(scheduleRuns)
      .values({ ...base, endedAt: null, result: "running", error: null })
      .returning({ id: scheduleRuns.id })
      .get();
    const done = this.execute(row, runId, firedFor ?? now)
      .catch((err: unknown) => this.finish(runId, "failed", [], `${scheduleContext(row.name)}: ${messageOf(err)}`))
      .finally(() => this.running.delete(row.id));
    this.running.set(row.id, done);
    return { runId, done };
  }

  private finish(runId: number, result: "ok" | "failed", outcomes: RunOutcome[], error: string | null): void {
    this.db
      .update(scheduleRuns)
      .set({ result, outcomes: JSON.stringify(outcomes), error: error ? error.slice(0, RUN_ERROR_CHARS) : null, endedAt: new Date(this.clock.now()) })
      .where(eq(scheduleRuns.id, runId))
      .run();
  }

  private async execute(row: ScheduleRow, runId: number, at: Date): Promise<void> {
    const context = scheduleContext(row.name);
    // The creator's rights now, not when the schedule was saved: a demoted or disabled creator's schedule stops acting.
    const creator = loadCreator(this.db, row);
    if (typeof creator === "string") return this.finish(runId, "failed", [], `${context}: ${creator}`);
    const action = this.actions[row.action] as ScheduleAction<unknown>;
    const options = action.options.parse(JSON.parse(row.options));
    let targets: RunTargets;
    try {
      targets = await this.resolveTargets(this.db, creator, row);
    } catch (err) {
      return this.finish(runId, "failed", [], `${context}: ${messageOf(err)}`);
    }
    const sleep = (ms: number) => new Promise<void>((resolve) => this.clock.setTimeout(resolve, ms));
    const outcomes: RunOutcome[] = await Promise.all(
      targets.vms.map((vm) =>
        this.withHostSlot(vm.hostId, async (): Promise<RunOutcome> => {
          const line = { hostId: vm.hostId, uuid: uuidToString(vm.dom.uuid), name: vm.name };
          try {
            const message = await action.run(
              { db: this.db, user: creator, vm, schedule: { id: row.id, name: row.name, timeZone: row.timeZone }, at, sleep },
              options,
            );
            return { ...line, ok: true, message };
          } catch (err) {
            const message = messageOf(err);
            return { ...line, ok: false, message: message.startsWith(vm.context) ? message : `${vm.context}: ${message}` };
          }
        }),
      ),
    );
    for (const { hostId, message } of targets.hostErrors) outcomes.push({ hostId, uuid: "", name: "", ok: false, message });
    const failures = outcomes.filter((o) => !o.ok).map((o) => o.message);
    this.finish(runId, failures.length ? "failed" : "ok", outcomes, failures.length ? `${context}: ${failures.join("; ")}` : null);
  }

  /** At most `schedules.hostConcurrency` VMs of one host acted on at once, across all schedules. */
  private async withHostSlot<T>(hostId: string, work: () => Promise<T>): Promise<T> {
    let slot = this.slots.get(hostId);
    if (!slot) this.slots.set(hostId, (slot = { active: 0, waiting: [] }));
    while (slot.active >= readHostConcurrency(this.db)) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    slot.active += 1;
    try {
      return await work();
    } finally {
      slot.active -= 1;
      slot.waiting.shift()?.();
    }
  }
}

const engines = processSingleton("schedule-engines", () => new Map<string, ScheduleEngine>());

/**
 * The process's engine for a database file (both module graphs of the process share it, as they
 * share the task runner): server/jobs starts it; the router asks it to re-plan and to run now.
 */
export function scheduleEngine(db: Db): ScheduleEngine {
  const file = db.$client.name;
  let engine = engines.get(file);
  if (!engine) engines.set(file, (engine = new ScheduleEngine({ db })));
  return engine;
}

/**
 * The manager's background jobs, run inside its one process (server/main.ts starts and stops
 * them). A job runs every `intervalMs`, one run at a time: the next run is planned when the
 * previous one has finished, `intervalMs` after the previous one started, so a slow run delays
 * the next one and never overlaps it. A run that throws is logged with the job's name and
 * counted; it never stops the job or the process.
 */
export interface Job {
  /** Names the job in logs and in `stats()`; unique within a runner. */
  name: string;
  intervalMs: number;
  /** The first run's delay after start (default 0: at once), for work that should wait until the process has settled. */
  firstRunAfterMs?: number;
  run(): Promise<void> | void;
}

export interface JobStats {
  runs: number;
  errors: number;
  lastError: string | null;
  /** How long the last finished run took. */
  lastRunMs: number | null;
}

/** How a runner waits: real timers in the server, a fake clock in tests. */
export interface JobClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: JobClock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type JobLogger = (message: string, error: unknown) => void;

interface Entry {
  job: Job;
  stats: JobStats;
  timer: unknown;
  /** The run in progress, so stop() can wait for it. */
  running: Promise<void> | null;
}

export class JobRunner {
  private readonly entries = new Map<string, Entry>();
  private started = false;

  constructor(
    private readonly clock: JobClock = realClock,
    private readonly log: JobLogger = (message, error) => console.error(message, error),
  ) {}

  /** Adds a job; it starts running at once if the runner has started. */
  add(job: Job): void {
    if (this.entries.has(job.name)) throw new Error(`job "${job.name}" is already registered`);
    if (!(Number.isFinite(job.intervalMs) && job.intervalMs > 0)) throw new Error(`job "${job.name}": interval must be a positive number of ms`);
    const entry: Entry = { job, stats: { runs: 0, errors: 0, lastError: null, lastRunMs: null }, timer: null, running: null };
    this.entries.set(job.name, entry);
    if (this.started) this.plan(entry, job.firstRunAfterMs ?? 0);
  }

  /** Runs every job once now (or after its `firstRunAfterMs`), then on its interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries.values()) this.plan(entry, entry.job.firstRunAfterMs ?? 0);
  }

  /** Cancels every planned run and waits for the runs in progress: no timer is left behind. */
  async stop(): Promise<void> {
    this.started = false;
    for (const entry of this.entries.values()) {
      if (entry.timer !== null) this.clock.clearTimeout(entry.timer);
      entry.timer = null;
    }
    await Promise.allSettled([...this.entries.values()].map((e) => e.running).filter((r) => r !== null));
  }

  get isRunning(): boolean {
    return this.started;
  }

  stats(name: string): JobStats | null {
    const entry = this.entries.get(name);
    return entry ? { ...entry.stats } : null;
  }

  private plan(entry: Entry, delayMs: number): void {
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = null;
      entry.running = this.runOnce(entry);
    }, delayMs);
  }

  private async runOnce(entry: Entry): Promise<void> {
    const startedAt = this.clock.now();
    try {
      await entry.job.run();
    } catch (err) {
      entry.stats.errors += 1;
      entry.stats.lastError = err instanceof Error ? err.message : String(err);
      this.log(`job "${entry.job.name}" failed (${entry.stats.errors} failures so far):`, err);
    } finally {
      const took = this.clock.now() - startedAt;
      entry.stats.runs += 1;
      entry.stats.lastRunMs = took;
      entry.running = null;
      if (this.started && this.entries.get(entry.job.name) === entry) this.plan(entry, Math.max(0, entry.job.intervalMs - took));
    }
  }
}

/**
 * The metrics history (issue 11, item 3): every collector tick stored as raw samples, rolled up to
 * 1-minute and 1-hour min/avg/max, deleted after the retention in the settings table, and read back
 * at the resolution a range needs. Tables and the layout's reasoning: server/db/schema.ts ("Metrics
 * history"); retention: ./retention.ts.
 *
 * Wiring (in the process that runs the collector and the jobs, two lines):
 *   startHistory(onTick);                                    // onTick from server/metrics/collector.ts
 *   every minute or so: await historyMaintenance(db());      // the clean-up job: rollups, retention, vacuum
 * `startHistory` stores each tick in one transaction as it arrives; `historyMaintenance` takes an
 * injected clock (`now`) and yields to the event loop between bounded batches, so a job runner can
 * call it on its own schedule. Running it twice, or after a pause of days, gives the same rows.
 */
import type BetterSqlite3 from "better-sqlite3";
import { db as sharedDb, type Db } from "@/server/db/client";
import { metricColumn } from "@/server/db/schema";
import { ServiceError } from "@/server/errors";
import { METRICS, METRIC_KEYS, type MetricKey, type MetricsTick } from "./sample";
import { readRetention, retentionMs } from "./retention";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type HistorySubject = { kind: "vm"; hostId: string; uuid: string } | { kind: "host"; hostId: string };
export type Resolution = "raw" | "1m" | "1h";

export interface HistoryPoint {
  /** The sample's time, or the start of the bucket it summarises. */
  at: number;
  min: number | null;
  avg: number | null;
  max: number | null;
}

export interface HistorySeries {
  resolution: Resolution;
  /** The bucket length; for raw samples, 0 (they come at the collector's interval). */
  stepMs: number;
  points: HistoryPoint[];
}

/** Raw samples up to this range, 1-minute buckets up to RANGE_1M (≤ 10,080 points), 1-hour buckets beyond. */
export const RANGE_RAW = 6 * HOUR;
export const RANGE_1M = 7 * DAY;

/** A bucket counts as complete this long after its end, so a tick the host answered late still lands in it. */
export const LATENESS_MS = 30_000;
/** Rows deleted (or raw rows rolled up) per transaction: a few milliseconds of holding the write lock. */
export const DELETE_BATCH = 5_000;
/** Subjects rolled up per transaction: one hour of raw samples each (720 rows at 5 s), so ~20 ms of aggregating a transaction. */
const ROLLUP_SUBJECTS_PER_TX = 5;
/**
 * Free pages kept for the next inserts instead of handed back to the file system (8 MiB at 4 KiB
 * pages): the raw table frees and refills about that much between clean-ups, and shrinking the file
 * only to grow it again is wasted I/O. Everything above it is returned, 1,024 pages a step.
 */
export const FREE_PAGES_KEPT = 2_048;
const VACUUM_STEP_PAGES = 1_024;

const ROLLUPS = { "1m": { table: "metric_1m", size: MINUTE }, "1h": { table: "metric_1h", size: HOUR } } as const;
type RollupName = keyof typeof ROLLUPS;
const TABLES = { raw: "metric_raw", "1m": "metric_1m", "1h": "metric_1h" } as const satisfies Record<Resolution, string>;

const COLUMNS = METRIC_KEYS.map(metricColumn);

/**
 * A rollup row's key: the subject in the high bits, the bucket's minute number (since the epoch;
 * < 2³² until the year 10136) in the low ones, so a subject's buckets are one key range in time order.
 */
const SUBJECT_SHIFT = 2 ** 32;
export function rollupRowId(subjectId: number, at: number): number {
  return subjectId * SUBJECT_SHIFT + Math.floor(at / MINUTE);
}
/** The same in SQL. A bound number arrives as a double: the subject is made an integer for exact 64-bit keys; a fractional minute is a fine bound. */
const ROW_ID_SQL = (subject: string, at: string) => `(CAST(${subject} AS INTEGER) * ${SUBJECT_SHIFT} + ${at} / ${MINUTE}.0)`;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface MaintenanceReport {
  /** Buckets written per rollup (a bucket = one subject's minute or hour). */
  rolledUp: Record<RollupName, number>;
  deleted: Record<Resolution, number>;
  subjectsPruned: number;
  pagesFreed: number;
}

/** One database's history: prepared statements and the subject ids seen, made once per database. */
class MetricsHistory {
  private readonly sqlite: BetterSqlite3.Database;
  private readonly subjectIds = new Map<string, number>();
  private readonly statements: ReturnType<typeof prepare>;
  private readonly queries = new Map<string, BetterSqlite3.Statement>();
  private maintaining: Promise<MaintenanceReport> | null = null;

  constructor(readonly db: Db) {
    this.sqlite = db.$client;
    this.statements = prepare(this.sqlite);
  }

  /** All of a tick (the host and every VM in it) in one transaction; a null figure is stored as null. */
  record(tick: MetricsTick): void {
    const { insertRaw } = this.statements;
    this.sqlite.transaction(() => {
      const host = tick.host;
      insertRaw.run(this.subjectId({ kind: "host", hostId: host.hostId }), host.at, ...METRIC_KEYS.map((k) => figure(host.values, k)));
      for (const vm of tick.vms) {
        insertRaw.run(this.subjectId({ kind: "vm", hostId: vm.hostId, uuid: vm.uuid }), vm.at, ...METRIC_KEYS.map((k) => figure(vm.values, k)));
      }
    })();
  }

  /** Rollups for completed buckets, then retention, then returning free pages; one run at a time. */
  maintain(now: number): Promise<MaintenanceReport> {
    this.maintaining ??= this.runMaintenance(now).finally(() => (this.maintaining = null));
    return this.maintaining;
  }

  query(subject: HistorySubject, metric: MetricKey, from: number, to: number, now: number): HistorySeries {
    if (METRICS[metric].subject !== subject.kind) {
      throw new ServiceError(`${subjectWords(subject)}: the metric "${metric}" is not a ${subject.kind} metric`, "invalid", { field: "metric" });
    }
    const resolution = pickResolution(from, to, now, retentionMs(readRetention(this.db)));
    const stepMs = resolution === "raw" ? 0 : ROLLUPS[resolution].size;
    const id = this.findSubjectId(subject);
    if (id === undefined) return { resolution, stepMs, points: [] };
    const points = this.queryStatement(resolution, metric).all({ subject: id, from, to }) as HistoryPoint[];
    return { resolution, stepMs, points };
  }

  private queryStatement(resolution: Resolution, metric: MetricKey): BetterSqlite3.Statement {
    const key = `${resolution}:${metric}`;
    let stmt = this.queries.get(key);
    if (!stmt) {
      const col = metricColumn(metric);
      const figures = resolution === "raw" ? `${col} AS min, ${col} AS avg, ${col} AS max` : `${col}_min AS min, ${col}_avg AS avg, ${col}_max AS max`;
      // A bucket starting before `from` still covers part of the range: it is included.
      const where =
        resolution === "raw"
          ? "subject_id = @subject AND at >= @from AND at <= @to"
          : `id >= ${ROW_ID_SQL("@subject", `(@from - ${ROLLUPS[resolution].size - 1})`)} AND id <= ${ROW_ID_SQL("@subject", "@to")}`;
      stmt = this.sqlite.prepare(`SELECT at, ${figures} FROM ${TABLES[resolution]} WHERE ${where} ORDER BY ${resolution === "raw" ? "at" : "id"}`);
      this.queries.set(key, stmt);
    }
    return stmt;
  }

  /** Deletes every sample and rollup of a host and its VMs, and their subjects (the host was removed). */
  forgetHost(hostId: string): number {
    const ids = (this.sqlite.prepare("SELECT id FROM metric_subjects WHERE host_id = ?").all(hostId) as { id: number }[]).map((r) => r.id);
    const deleteRaw = this.sqlite.prepare("DELETE FROM metric_raw WHERE subject_id = ?");
    const deleteRollups = Object.values(ROLLUPS).map(({ table }) => this.sqlite.prepare(`DELETE FROM ${table} WHERE id >= ? AND id < ?`));
    this.sqlite.transaction(() => {
      for (const id of ids) {
        deleteRaw.run(id);
        for (const rollup of deleteRollups) rollup.run(id * SUBJECT_SHIFT, (id + 1) * SUBJECT_SHIFT);
      }
      this.sqlite.prepare("DELETE FROM metric_subjects WHERE host_id = ?").run(hostId);
    })();
    this.subjectIds.clear();
    return ids.length;
  }

  private subjectKey(subject: HistorySubject): [string, string, string] {
    return [subject.kind, subject.hostId, subject.kind === "vm" ? subject.uuid : ""];
  }

  private findSubjectId(subject: HistorySubject): number | undefined {
    const ref = this.subjectKey(subject);
    const cached = this.subjectIds.get(ref.join("\0"));
    if (cached !== undefined) return cached;
    const row = this.statements.findSubject.get(...ref) as { id: number } | undefined;
    if (row) this.subjectIds.set(ref.join("\0"), row.id);
    return row?.id;
  }

  private subjectId(subject: HistorySubject): number {
    const found = this.findSubjectId(subject);
    if (found !== undefined) return found;
    const ref = this.subjectKey(subject);
    const { id } = this.statements.insertSubject.get(...ref) as { id: number };
    this.subjectIds.set(ref.join("\0"), id);
    return id;
  }

  private async runMaintenance(now: number): Promise<MaintenanceReport> {
    const rolledUp = { "1m": await this.rollUp("1m", now), "1h": await this.rollUp("1h", now) };
    const windows = retentionMs(readRetention(this.db));
    const rolledUntil = (name: RollupName) => (this.statements.getState.get(name) as { rolled_until: number } | undefined)?.rolled_until ?? -Infinity;
    // Raw samples are deleted only once both rollups have read them, whatever the retention says.
    const rawCutoff = Math.min(now - windows.raw, rolledUntil("1m"), rolledUntil("1h"));
    const deleted = {
      raw: await this.deleteBefore("raw", rawCutoff),
      "1m": await this.deleteBefore("1m", now - windows.minute),
      "1h": await this.deleteBefore("1h", now - windows.hour),
    };
    const subjectsPruned = this.statements.pruneSubjects.run().changes;
    // A pruned subject's id must not be written again: the next tick makes a new one.
    if (subjectsPruned > 0) this.subjectIds.clear();
    const pagesFreed = await this.returnFreePages();
    return { rolledUp, deleted, subjectsPruned, pagesFreed };
  }

  /**
   * Writes every complete bucket from where the last run stopped (or the first raw sample) up to
   * now, an hour of raw samples at a time, skipping hours without samples. A bucket is written with
   * INSERT OR REPLACE from all its raw samples, so a run interrupted half-way and run again writes
   * the same rows; the position moves only after the hour is written for every subject.
   */
  private async rollUp(name: RollupName, now: number): Promise<number> {
    const { size } = ROLLUPS[name];
    const { getState, setState, nextRawAt } = this.statements;
    const rollup = this.statements.rollups[name];
    const completedEnd = Math.floor((now - LATENESS_MS) / size) * size;
    const subjects = this.subjects();
    const firstSampleFrom = (from: number): number | null => {
      let first: number | null = null;
      for (const id of subjects) {
        const row = nextRawAt.get(id, from) as { at: number } | undefined;
        if (row && (first === null || row.at < first)) first = row.at;
      }
      return first;
    };
    let start = (getState.get(name) as { rolled_until: number } | undefined)?.rolled_until ?? -Infinity;
    let written = 0;
    while (start < completedEnd) {
      const next = firstSampleFrom(Number.isFinite(start) ? start : Number.MIN_SAFE_INTEGER);
      if (next === null || Math.floor(next / size) * size >= completedEnd) break;
      start = Math.max(start, Math.floor(next / size) * size);
      const end = Math.min(completedEnd, Math.floor(start / HOUR) * HOUR + HOUR);
      for (let i = 0; i < subjects.length; i += ROLLUP_SUBJECTS_PER_TX) {
        const group = subjects.slice(i, i + ROLLUP_SUBJECTS_PER_TX);
        this.sqlite.transaction(() => {
          for (const id of group) written += rollup.run(id, start, end).changes;
        })();
        await yieldToEventLoop();
      }
      setState.run(name, end);
      start = end;
    }
    // Nothing (more) to roll up: the position still moves to the last complete bucket once there is
    // any position, so the raw clean-up is not held back by hours in which no host answered.
    if (Number.isFinite(start) && start < completedEnd) setState.run(name, completedEnd);
    return written;
  }

  /** Deletes a table's rows older than `cutoff`, at most DELETE_BATCH per transaction, yielding in between. */
  private async deleteBefore(resolution: Resolution, cutoff: number): Promise<number> {
    if (!Number.isFinite(cutoff)) return 0;
    const del = this.statements.deletes[resolution];
    const subjects = this.subjects();
    let total = 0;
    let i = 0;
    while (i < subjects.length) {
      this.sqlite.transaction(() => {
        let budget = DELETE_BATCH;
        while (i < subjects.length && budget > 0) {
          const n = del.run({ subject: subjects[i]!, cutoff, limit: budget }).changes;
          total += n;
          budget -= n;
          // A subject that filled the budget may have more: the next transaction continues with it.
          if (budget > 0) i++;
        }
      })();
      await yieldToEventLoop();
    }
    return total;
  }

  private async returnFreePages(): Promise<number> {
    let freed = 0;
    for (;;) {
      const free = this.sqlite.pragma("freelist_count", { simple: true }) as number;
      const excess = free - FREE_PAGES_KEPT;
      if (excess <= 0) break;
      const step = Math.min(excess, VACUUM_STEP_PAGES);
      this.sqlite.pragma(`incremental_vacuum(${step})`);
      const after = this.sqlite.pragma("freelist_count", { simple: true }) as number;
      // auto_vacuum is off (a database opened without server/db/client.ts): nothing can be returned.
      if (after >= free) break;
      freed += free - after;
      await yieldToEventLoop();
    }
    // In WAL mode the file is cut to its new length only when the WAL is copied back into it. PASSIVE
    // never waits for readers; what it cannot copy now, the next automatic checkpoint does.
    if (freed > 0) this.sqlite.pragma("wal_checkpoint(PASSIVE)");
    return freed;
  }

  private subjects(): number[] {
    return (this.statements.listSubjects.all() as { id: number }[]).map((r) => r.id);
  }
}

function prepare(sqlite: BetterSqlite3.Database) {
  const rollupColumns = COLUMNS.flatMap((c) => [`${c}_min`, `${c}_avg`, `${c}_max`]).join(", ");
  const aggregates = COLUMNS.flatMap((c) => [`min(${c})`, `avg(${c})`, `max(${c})`]).join(", ");
  const rollup = (name: RollupName) =>
    sqlite.prepare(
      `INSERT OR REPLACE INTO ${ROLLUPS[name].table} (id, subject_id, at, ${rollupColumns})
       SELECT subject_id * ${SUBJECT_SHIFT} + (at / ${ROLLUPS[name].size}) * ${ROLLUPS[name].size / MINUTE}, subject_id, (at / ${ROLLUPS[name].size}) * ${ROLLUPS[name].size} AS bucket, ${aggregates}
       FROM metric_raw WHERE subject_id = ? AND at >= ? AND at < ? GROUP BY bucket`,
    );
  // The same three parameters (subject, cutoff, batch size) for both: raw rows found through the
  // (subject, at) index, rollup rows as a range of their key.
  const deleteOld = (table: string) =>
    sqlite.prepare(
      table === "metric_raw"
        ? `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE subject_id = @subject AND at < @cutoff LIMIT @limit)`
        : `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE id >= ${ROW_ID_SQL("@subject", "0")} AND id < ${ROW_ID_SQL("@subject", "@cutoff")} LIMIT @limit)`,
    );
  return {
    insertRaw: sqlite.prepare(`INSERT INTO metric_raw (subject_id, at, ${COLUMNS.join(", ")}) VALUES (?, ?, ${COLUMNS.map(() => "?").join(", ")})`),
    findSubject: sqlite.prepare("SELECT id FROM metric_subjects WHERE kind = ? AND host_id = ? AND uuid = ?"),
    insertSubject: sqlite.prepare("INSERT INTO metric_subjects (kind, host_id, uuid) VALUES (?, ?, ?) RETURNING id"),
    listSubjects: sqlite.prepare("SELECT id FROM metric_subjects ORDER BY id"),
    pruneSubjects: sqlite.prepare(
      `DELETE FROM metric_subjects WHERE NOT EXISTS (SELECT 1 FROM metric_raw r WHERE r.subject_id = metric_subjects.id)
         AND NOT EXISTS (SELECT 1 FROM metric_1m m WHERE m.id >= metric_subjects.id * ${SUBJECT_SHIFT} AND m.id < (metric_subjects.id + 1) * ${SUBJECT_SHIFT})
         AND NOT EXISTS (SELECT 1 FROM metric_1h h WHERE h.id >= metric_subjects.id * ${SUBJECT_SHIFT} AND h.id < (metric_subjects.id + 1) * ${SUBJECT_SHIFT})`,
    ),
    nextRawAt: sqlite.prepare("SELECT at FROM metric_raw WHERE subject_id = ? AND at >= ? ORDER BY at LIMIT 1"),
    getState: sqlite.prepare("SELECT rolled_until FROM metric_rollup_state WHERE resolution = ?"),
    setState: sqlite.prepare(
      "INSERT INTO metric_rollup_state (resolution, rolled_until) VALUES (?, ?) ON CONFLICT (resolution) DO UPDATE SET rolled_until = excluded.rolled_until",
    ),
    rollups: { "1m": rollup("1m"), "1h": rollup("1h") },
    deletes: { raw: deleteOld("metric_raw"), "1m": deleteOld("metric_1m"), "1h": deleteOld("metric_1h") },
  };
}

/** A figure as SQLite gets it: null stays null (unknown is not 0); a metric the sample lacks is unknown too. */
function figure(values: Partial<Record<MetricKey, number | null>>, key: MetricKey): number | null {
  const value = values[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function subjectWords(subject: HistorySubject): string {
  return subject.kind === "vm" ? `VM ${subject.uuid} on host "${subject.hostId}"` : `host "${subject.hostId}"`;
}

/**
 * The finest resolution that still holds the whole range: raw samples for ranges up to 6 h, 1-minute
 * buckets up to 7 days, 1-hour buckets beyond — and a coarser one when the range starts before the
 * finer one's retention (the last 6 h of yesterday are in the 1-minute table only).
 */
export function pickResolution(from: number, to: number, now: number, kept: { raw: number; minute: number }): Resolution {
  const span = to - from;
  if (span <= RANGE_RAW && from >= now - kept.raw) return "raw";
  if (span <= RANGE_1M && from >= now - kept.minute) return "1m";
  return "1h";
}

const instances = new WeakMap<Db, MetricsHistory>();

function historyOf(db: Db): MetricsHistory {
  let h = instances.get(db);
  if (!h) {
    h = new MetricsHistory(db);
    instances.set(db, h);
  }
  return h;
}

/** Stores one collector tick (the host and all its VMs) in one transaction. */
export function recordTick(db: Db, tick: MetricsTick): void {
  historyOf(db).record(tick);
}

/**
 * The clean-up job: rolls raw samples up into complete 1-minute and 1-hour buckets, deletes what is
 * older than the retention in bounded batches, prunes subjects with no rows left and returns free
 * pages to the file system. A second call while one runs gets the running one's report.
 */
export function historyMaintenance(db: Db, now: () => number = Date.now): Promise<MaintenanceReport> {
  return historyOf(db).maintain(now());
}

/** Forgets a removed host's history (see MetricsHistory.forgetHost); returns how many subjects (the host and its VMs) went. */
export function forgetHostHistory(db: Db, hostId: string): number {
  return historyOf(db).forgetHost(hostId);
}

/** One subject's metric over [from, to] at the resolution the range needs (see pickResolution). */
export function history(db: Db, subject: HistorySubject, metric: MetricKey, from: number, to: number, now: () => number = Date.now): HistorySeries {
  return historyOf(db).query(subject, metric, from, to, now());
}

/** What the collector offers (server/metrics/collector.ts `onTick`): register a listener, get a function that removes it. */
export type OnTick = (listener: (tick: MetricsTick) => void) => (() => void) | void;

/**
 * Stores every tick the collector delivers. A tick that cannot be written (a full disk) is reported
 * and skipped: the collector, the alerts and the live view go on. Returns the unsubscribe, if any.
 */
export function startHistory(onTick: OnTick, db: Db = sharedDb()): (() => void) | void {
  return onTick((tick) => {
    try {
      recordTick(db, tick);
    } catch (err) {
      console.error(`metrics history: host "${tick.host.hostId}": tick at ${new Date(tick.host.at).toISOString()} not stored: ${(err as Error).message}`);
    }
  });
}

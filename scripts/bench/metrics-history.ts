// The metrics history (server/metrics/history.ts), on a real SQLite file in a temp directory:
//   1. insert throughput: collector ticks of 1,000 VMs (one transaction each), ticks per second
//   2. the database a host with FILL_VMS VMs has after 30 days at the default retention: 24 h of raw
//      samples every 5 s, 7 days of 1-minute and 30 days of 1-hour buckets; then one VM's history
//      over 30 days, 7 days, 24 h and 6 h (target for 30 days: < 100 ms), and one steady-state
//      clean-up run (5 minutes of samples to roll up and to expire).
// Prints figures, never judges them. Run alone: npx tsx scripts/bench/metrics-history.ts
import fs from "node:fs";
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
import { tempDatabase } from "../../server/testing/test-db";
import { metricColumn } from "../../server/db/schema";
import { history, historyMaintenance, recordTick } from "../../server/metrics/history";
import { METRIC_KEYS, type HostMetricKey, type MetricsTick, type VmMetricKey } from "../../server/metrics/sample";
import type { Db } from "../../server/db/client";
import { count, heading, ms, table } from "./format";

const INSERT_VMS = 1000;
const INSERT_TICKS = 120;
const FILL_VMS = 100;
const TICK_MS = 5000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const QUERY_RUNS = 50;

const VM_KEYS = METRIC_KEYS.filter((k): k is VmMetricKey => k.startsWith("vm."));
const HOST_KEYS = METRIC_KEYS.filter((k): k is HostMetricKey => k.startsWith("host."));

/** Figures shaped like a real VM's: fractional percentages, whole byte counts, rates; guest figures unknown on every third VM. */
function vmValues(i: number, t: number): Record<VmMetricKey, number | null> {
  const wave = (Math.sin(t / 600_000 + i) + 1) / 2;
  const agent = i % 3 !== 0;
  const values: Record<VmMetricKey, number | null> = {
    "vm.cpu": Math.round(wave * 10_000) / 100,
    "vm.memory.used": Math.round(wave * 2 * 1024 ** 3),
    "vm.memory.total": 4 * 1024 ** 3,
    "vm.disk.read": wave * 3_000_000,
    "vm.disk.write": wave * 1_500_000,
    "vm.disk.readOps": wave * 120,
    "vm.disk.writeOps": wave * 80,
    "vm.net.rx": wave * 250_000,
    "vm.net.tx": wave * 90_000,
    "vm.guest.cpu": agent ? Math.round(wave * 9_000) / 100 : null,
    "vm.guest.memory": agent ? Math.round(wave * 8_000) / 100 : null,
    "vm.guest.filesystem": agent ? 42.5 : null,
  };
  return Object.fromEntries(VM_KEYS.map((k) => [k, values[k]])) as Record<VmMetricKey, number | null>;
}

function makeTick(uuids: string[], at: number): MetricsTick {
  return {
    host: {
      hostId: "bench",
      at,
      reachable: true,
      values: Object.fromEntries(HOST_KEYS.map((k) => [k, 1234.5])) as Record<HostMetricKey, number | null>,
      pools: [],
    },
    vms: uuids.map((uuid, i) => ({ hostId: "bench", uuid, name: `vm-${i}`, at, running: true, values: vmValues(i, at), filesystems: [] })),
  };
}

function quantiles(values: number[]): { median: number; p95: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.floor(sorted.length * 0.95)]! };
}

function fileMiB(db: Db): string {
  db.$client.pragma("wal_checkpoint(TRUNCATE)");
  return `${(fs.statSync(db.$client.name).size / 1024 ** 2).toFixed(0)} MiB`;
}

/**
 * Rows generated inside SQLite (a recursive CTE crossed with the subjects), so filling millions of
 * rows takes seconds: every FILL_VMS VM and the host, one row per `step` in [from, to).
 */
function fillTable(db: Db, table: string, from: number, to: number, step: number, rollup: boolean): number {
  const columns = METRIC_KEYS.map(metricColumn);
  const names = rollup ? columns.flatMap((c) => [`${c}_min`, `${c}_avg`, `${c}_max`]) : columns;
  // A per-row figure that varies with time and subject, whole numbers for the byte counts; a VM's
  // row has no host figures and the host's row no VM figures (NULL), as the collector's ticks have.
  const value = (c: string) =>
    `CASE WHEN s.kind = '${c.split("_")[0]}' THEN ${
      c.includes("memory") && !c.includes("guest") ? "((t.at / 1000 + s.id * 7) % 2048) * 1048576" : "(((t.at / 1000 + s.id * 7) % 10000) / 100.0)"
    } END`;
  const values = rollup ? columns.flatMap((c) => [`${value(c)} * 0.5`, value(c), `${value(c)} * 1.5`]) : columns.map(value);
  return db.$client
    .prepare(
      `WITH RECURSIVE t(at) AS (SELECT ? UNION ALL SELECT at + ? FROM t WHERE at + ? < ?)
       INSERT INTO ${table} (${rollup ? "id, " : ""}subject_id, at, ${names.join(", ")})
       SELECT ${rollup ? `s.id * ${2 ** 32} + t.at / ${MINUTE}, ` : ""}s.id, t.at, ${values.join(", ")} FROM metric_subjects s, t ORDER BY t.at, s.id`,
    )
    .run(from, step, step, to).changes;
}

heading(`metrics history: insert throughput, ${count(INSERT_TICKS)} ticks of ${count(INSERT_VMS)} VMs`);
const insert = tempDatabase();
let insertResult;
try {
  const uuids = Array.from({ length: INSERT_VMS }, () => randomUUID());
  const start = Date.now();
  // The first tick also creates the 1,001 subjects; it is timed on its own.
  let t0 = performance.now();
  recordTick(insert.db, makeTick(uuids, start));
  const firstTick = performance.now() - t0;
  const perTick: number[] = [];
  const begun = performance.now();
  for (let n = 1; n <= INSERT_TICKS; n++) {
    const tick = makeTick(uuids, start + n * TICK_MS);
    t0 = performance.now();
    recordTick(insert.db, tick);
    perTick.push(performance.now() - t0);
  }
  const total = performance.now() - begun;
  const sum = perTick.reduce((a, b) => a + b, 0);
  insertResult = {
    firstTick,
    ...quantiles(perTick),
    ticksPerSecond: (INSERT_TICKS * 1000) / sum,
    rowsPerSecond: (INSERT_TICKS * (INSERT_VMS + 1) * 1000) / sum,
    total,
  };
  console.log(
    `${insertResult.ticksPerSecond.toFixed(1)} ticks/s (${count(insertResult.rowsPerSecond)} rows/s); a tick: median ${ms(insertResult.median)}, p95 ${ms(insertResult.p95)}; first tick ${ms(firstTick)}`,
  );
} finally {
  insert.db.$client.close();
  insert.cleanup();
}

heading(`metrics history: 30 days of ${FILL_VMS} VMs at the default retention, one VM's history`);
const filled = tempDatabase();
let fillResult;
try {
  const { db } = filled;
  const now = Math.floor(Date.now() / HOUR) * HOUR;
  const uuids = Array.from({ length: FILL_VMS }, () => randomUUID());
  recordTick(db, makeTick(uuids, now - DAY - 10 * MINUTE));
  db.$client.exec("DELETE FROM metric_raw");
  let t0 = performance.now();
  const rows = {
    hour: fillTable(db, "metric_1h", now - 30 * DAY, now - HOUR, HOUR, true),
    minute: fillTable(db, "metric_1m", now - 7 * DAY, now - 5 * MINUTE, MINUTE, true),
    // Raw samples: the last 24 h, plus the 5 minutes the next clean-up expires.
    raw: fillTable(db, "metric_raw", now - DAY - 5 * MINUTE, now, TICK_MS, false),
  };
  // The rollups have read everything but the last 5 minutes (the 1-hour one: everything before this hour).
  db.$client.exec(`INSERT INTO metric_rollup_state VALUES ('1m', ${now - 5 * MINUTE}), ('1h', ${now - HOUR})`);
  const fillSeconds = (performance.now() - t0) / 1000;
  const size = fileMiB(db);
  console.log(
    `filled in ${fillSeconds.toFixed(1)} s: ${count(rows.raw)} raw, ${count(rows.minute)} 1-minute, ${count(rows.hour)} 1-hour rows (${FILL_VMS} VMs + the host); file ${size}`,
  );
  // What a row costs on disk, table and index together (SQLite's dbstat table: every page's size).
  const pages = db.$client
    .prepare("SELECT tbl_name AS tbl, sum(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY tbl_name")
    .all() as {
    tbl: string;
    bytes: number;
  }[];
  const perRow = (tbl: string, n: number) => Math.round((pages.find((p) => p.tbl === tbl)?.bytes ?? 0) / n);
  const bytesPerRow = { raw: perRow("metric_raw", rows.raw), minute: perRow("metric_1m", rows.minute), hour: perRow("metric_1h", rows.hour) };
  console.log(`bytes a row, with its index: raw ${bytesPerRow.raw}, 1-minute ${bytesPerRow.minute}, 1-hour ${bytesPerRow.hour}`);

  const vm = { kind: "vm" as const, hostId: "bench", uuid: uuids[FILL_VMS / 2]! };
  const clock = () => now;
  const ranges = [
    { label: "30 days", span: 30 * DAY },
    { label: "7 days", span: 7 * DAY },
    { label: "24 h", span: DAY },
    { label: "6 h", span: 6 * HOUR },
  ].map(({ label, span }) => {
    const times: number[] = [];
    let result = history(db, vm, "vm.cpu", now - span, now, clock);
    for (let i = 0; i < QUERY_RUNS; i++) {
      const q0 = performance.now();
      result = history(db, vm, "vm.cpu", now - span, now, clock);
      times.push(performance.now() - q0);
    }
    return { label, ...quantiles(times), resolution: result.resolution, points: result.points.length };
  });
  for (const r of ranges) console.log(`${r.label}: ${r.resolution}, ${count(r.points)} points, median ${ms(r.median)}, p95 ${ms(r.p95)}`);

  // The longest the clean-up holds the event loop (and the write lock) in one piece: the gap between two turns.
  let longestBlock = 0;
  let lastTurn = performance.now();
  let running = true;
  const turn = () => {
    if (!running) return;
    const at = performance.now();
    longestBlock = Math.max(longestBlock, at - lastTurn);
    lastTurn = at;
    setImmediate(turn);
  };
  setImmediate(turn);
  t0 = performance.now();
  const report = await historyMaintenance(db, () => now + 30_000 + 1);
  const cleanupMs = performance.now() - t0;
  running = false;
  console.log(
    `steady-state clean-up: ${ms(cleanupMs)}, longest without an event-loop turn ${ms(longestBlock)}; rolled up ${count(report.rolledUp["1m"])} minute and ${count(report.rolledUp["1h"])} hour buckets, deleted ${count(report.deleted.raw)} raw / ${count(report.deleted["1m"])} 1-minute / ${count(report.deleted["1h"])} 1-hour rows`,
  );
  fillResult = { rows, fillSeconds, size, bytesPerRow, ranges, cleanupMs, longestBlock, report };
} finally {
  filled.db.$client.close();
  filled.cleanup();
}

const summaryRows: string[][] = [
  ["benchmark", "median", "p95", "notes"],
  [
    `history insert, tick of ${count(INSERT_VMS)} VMs`,
    ms(insertResult.median),
    ms(insertResult.p95),
    `${insertResult.ticksPerSecond.toFixed(1)} ticks/s = ${count(insertResult.rowsPerSecond)} rows/s; one transaction a tick`,
  ],
  ...fillResult.ranges.map((r) => [
    `history query, one VM, ${r.label}`,
    ms(r.median),
    ms(r.p95),
    `${r.resolution}, ${count(r.points)} points${r.label === "30 days" ? " (target < 100 ms)" : ""}`,
  ]),
  [
    "history clean-up, steady state",
    ms(fillResult.cleanupMs),
    "",
    `5 min to roll up and expire, ${FILL_VMS} VMs; ${count(fillResult.report.deleted.raw)} raw rows deleted; longest block ${ms(fillResult.longestBlock)}`,
  ],
  [
    "history fill (for the figures above)",
    "",
    "",
    `${FILL_VMS} VMs, 30 days at default retention: ${count(fillResult.rows.raw)} raw + ${count(fillResult.rows.minute)} 1-min + ${count(fillResult.rows.hour)} 1-h rows, ${fillResult.size}, ${fillResult.fillSeconds.toFixed(0)} s`,
  ],
  [
    "history bytes a row (with index)",
    "",
    "",
    `raw ${fillResult.bytesPerRow.raw}, 1-minute ${fillResult.bytesPerRow.minute}, 1-hour ${fillResult.bytesPerRow.hour}`,
  ],
];
console.log(`\n${table(summaryRows)}`);

import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { tempDatabase } from "../testing/test-db";
import type { Db } from "../db/client";
import { DELETE_BATCH, FREE_PAGES_KEPT, history, rollupRowId, historyMaintenance, pickResolution, recordTick, startHistory } from "./history";
import { DEFAULT_RETENTION, retentionMs, writeRetention } from "./retention";
import { METRIC_KEYS, type HostMetricKey, type MetricsTick, type VmMetricKey } from "./sample";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A whole day, so bucket arithmetic in the assertions stays readable. */
const T0 = Date.UTC(2026, 0, 1);

const VM_KEYS = METRIC_KEYS.filter((k): k is VmMetricKey => k.startsWith("vm."));
const HOST_KEYS = METRIC_KEYS.filter((k): k is HostMetricKey => k.startsWith("host."));

function vmValues(values: Partial<Record<VmMetricKey, number | null>>): Record<VmMetricKey, number | null> {
  return Object.fromEntries(VM_KEYS.map((k) => [k, values[k] ?? null])) as Record<VmMetricKey, number | null>;
}

function tick(
  at: number,
  vms: { uuid: string; values: Partial<Record<VmMetricKey, number | null>> }[],
  host: Partial<Record<HostMetricKey, number>> = {},
): MetricsTick {
  return {
    host: {
      hostId: "local",
      at,
      reachable: true,
      values: Object.fromEntries(HOST_KEYS.map((k) => [k, host[k] ?? null])) as Record<HostMetricKey, number | null>,
      pools: [],
    },
    vms: vms.map((vm) => ({
      hostId: "local",
      uuid: vm.uuid,
      name: `vm-${vm.uuid.slice(0, 4)}`,
      at,
      running: true,
      values: vmValues(vm.values),
      filesystems: [],
    })),
  };
}

function count(db: Db, table: string): number {
  return (db.$client.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

function subjectId(db: Db, uuid: string): number {
  return (db.$client.prepare("SELECT id FROM metric_subjects WHERE uuid = ?").get(uuid) as { id: number }).id;
}

function withDb(fn: (db: Db) => Promise<void> | void) {
  return async () => {
    const { db, cleanup } = tempDatabase();
    try {
      await fn(db);
    } finally {
      db.$client.close();
      cleanup();
    }
  };
}

test(
  "one tick is stored as one row for the host and one per VM, with unknown figures as NULL rather than 0",
  withDb((db) => {
    const a = randomUUID();
    const b = randomUUID();
    recordTick(
      db,
      tick(
        T0,
        [
          { uuid: a, values: { "vm.cpu": 12.5, "vm.memory.used": 1024 ** 3 } },
          { uuid: b, values: { "vm.cpu": 0 } },
        ],
        { "host.cpu": 40 },
      ),
    );
    assert.equal(count(db, "metric_raw"), 3);
    assert.equal(count(db, "metric_subjects"), 3);
    const row = (uuid: string) =>
      db.$client
        .prepare("SELECT at, vm_cpu, vm_memory_used, typeof(vm_disk_read) AS disk, typeof(vm_cpu) AS cpuType FROM metric_raw WHERE subject_id = ?")
        .get(subjectId(db, uuid)) as Record<string, unknown>;
    assert.deepEqual(row(a), { at: T0, vm_cpu: 12.5, vm_memory_used: 1024 ** 3, disk: "null", cpuType: "real" });
    // A measured zero stays a zero; an unknown figure is NULL.
    assert.equal(row(b).vm_cpu, 0);
    assert.equal(row(b).vm_memory_used, null);
    const host = db.$client.prepare("SELECT host_cpu, vm_cpu FROM metric_raw WHERE subject_id = ?").get(subjectId(db, "")) as Record<string, unknown>;
    assert.deepEqual(host, { host_cpu: 40, vm_cpu: null });
  }),
);

test(
  "startHistory stores each tick the collector delivers and hands back the collector's unsubscribe",
  withDb((db) => {
    let listener: ((t: MetricsTick) => void) | null = null;
    const unsubscribe = () => (listener = null);
    const returned = startHistory((l) => {
      listener = l;
      return unsubscribe;
    }, db);
    assert.equal(returned, unsubscribe);
    listener!(tick(T0, [{ uuid: randomUUID(), values: { "vm.cpu": 1 } }]));
    listener!(tick(T0 + 5000, [{ uuid: randomUUID(), values: { "vm.cpu": 1 } }]));
    assert.equal(count(db, "metric_raw"), 4);
  }),
);

/**
 * Two hours of one VM every 5 s: CPU cycles 0..11 within each minute (min 0, avg 5.5, max 11),
 * memory is the minute's number in bytes, disk read is known only on even ticks (the average is
 * of the known ones), net rx is never known. Then 20 s of the current, incomplete minute.
 */
function fillTwoHours(db: Db, uuid: string): number {
  for (let t = T0; t < T0 + 2 * HOUR; t += 5000) {
    const i = ((t - T0) / 5000) % 12;
    const minute = Math.floor((t - T0) / MINUTE);
    recordTick(db, tick(t, [{ uuid, values: { "vm.cpu": i, "vm.memory.used": minute, "vm.disk.read": i % 2 === 0 ? i * 100 : null, "vm.net.rx": null } }]));
  }
  for (let t = T0 + 2 * HOUR; t < T0 + 2 * HOUR + 20_000; t += 5000) recordTick(db, tick(t, [{ uuid, values: { "vm.cpu": 99 } }]));
  return T0 + 2 * HOUR + 20_000 + 30_000 + 15_000;
}

test(
  "the rollups hold the min, average and max of each complete minute and hour, with unknown figures left out and NULL where none were known",
  withDb(async (db) => {
    const uuid = randomUUID();
    const now = fillTwoHours(db, uuid);
    const report = await historyMaintenance(db, () => now);
    const id = subjectId(db, uuid);
    // 120 complete minutes of the VM and of the host; the minute in progress is not rolled up.
    assert.equal(count(db, "metric_1m"), 240);
    assert.equal(count(db, "metric_1h"), 4);
    assert.deepEqual(report.rolledUp, { "1m": 240, "1h": 4 });
    const minutes = db.$client
      .prepare(
        "SELECT at, vm_cpu_min, vm_cpu_avg, vm_cpu_max, vm_memory_used_avg, vm_disk_read_min, vm_disk_read_avg, vm_disk_read_max, vm_net_rx_avg FROM metric_1m WHERE subject_id = ? ORDER BY at",
      )
      .all(id) as Record<string, number | null>[];
    assert.equal(minutes.length, 120);
    minutes.forEach((m, n) =>
      assert.deepEqual(m, {
        at: T0 + n * MINUTE,
        vm_cpu_min: 0,
        vm_cpu_avg: 5.5,
        vm_cpu_max: 11,
        vm_memory_used_avg: n,
        vm_disk_read_min: 0,
        vm_disk_read_avg: 500,
        vm_disk_read_max: 1000,
        vm_net_rx_avg: null,
      }),
    );
    const hours = db.$client
      .prepare("SELECT at, vm_cpu_avg, vm_memory_used_min, vm_memory_used_avg, vm_memory_used_max FROM metric_1h WHERE subject_id = ? ORDER BY at")
      .all(id);
    assert.deepEqual(hours, [
      { at: T0, vm_cpu_avg: 5.5, vm_memory_used_min: 0, vm_memory_used_avg: 29.5, vm_memory_used_max: 59 },
      { at: T0 + HOUR, vm_cpu_avg: 5.5, vm_memory_used_min: 60, vm_memory_used_avg: 89.5, vm_memory_used_max: 119 },
    ]);
  }),
);

test(
  "rolling up twice, or again from the start after losing its position, gives the same rows",
  withDb(async (db) => {
    const uuid = randomUUID();
    const now = fillTwoHours(db, uuid);
    const snapshot = () => ["metric_1m", "metric_1h"].map((t) => db.$client.prepare(`SELECT * FROM ${t} ORDER BY subject_id, at`).all());
    await historyMaintenance(db, () => now);
    const first = snapshot();
    const second = await historyMaintenance(db, () => now);
    assert.deepEqual(second.rolledUp, { "1m": 0, "1h": 0 });
    assert.deepEqual(snapshot(), first);
    db.$client.exec("DELETE FROM metric_rollup_state");
    await historyMaintenance(db, () => now);
    assert.deepEqual(snapshot(), first);
  }),
);

test(
  "a pause of days between clean-ups rolls up every complete bucket and skips the hours without samples",
  withDb(async (db) => {
    const uuid = randomUUID();
    recordTick(db, tick(T0, [{ uuid, values: { "vm.cpu": 1 } }]));
    await historyMaintenance(db, () => T0 + MINUTE + LATE);
    recordTick(db, tick(T0 + 3 * DAY, [{ uuid, values: { "vm.cpu": 3 } }]));
    await historyMaintenance(db, () => T0 + 3 * DAY + HOUR + LATE);
    const id = subjectId(db, uuid);
    assert.deepEqual(db.$client.prepare("SELECT at, vm_cpu_avg FROM metric_1m WHERE subject_id = ? ORDER BY at").all(id), [
      { at: T0, vm_cpu_avg: 1 },
      { at: T0 + 3 * DAY, vm_cpu_avg: 3 },
    ]);
    assert.deepEqual(db.$client.prepare("SELECT at, vm_cpu_avg FROM metric_1h WHERE subject_id = ? ORDER BY at").all(id), [
      { at: T0, vm_cpu_avg: 1 },
      { at: T0 + 3 * DAY, vm_cpu_avg: 3 },
    ]);
  }),
);
const LATE = 31_000;

/** Rollup rows straight into a table: one VM subject, `rows` buckets ending at `end`, every `step`. */
function fillRollup(db: Db, table: "metric_1m" | "metric_1h", subject: number, end: number, step: number, rows: number): void {
  const insert = db.$client.prepare(`INSERT INTO ${table} (id, subject_id, at, vm_cpu_min, vm_cpu_avg, vm_cpu_max) VALUES (?, ?, ?, ?, ?, ?)`);
  db.$client.transaction(() => {
    for (let i = rows; i >= 1; i--) insert.run(rollupRowId(subject, end - i * step), subject, end - i * step, 1, 2, 3);
  })();
}

/** Raw rows straight into the table, every minute for `rows` minutes before `end`, with three figures. */
function fillRaw(db: Db, subject: number, end: number, rows: number): void {
  const insert = db.$client.prepare("INSERT INTO metric_raw (subject_id, at, vm_cpu, vm_memory_used, vm_net_rx) VALUES (?, ?, ?, ?, ?)");
  db.$client.transaction(() => {
    for (let i = rows; i >= 1; i--) insert.run(subject, end - i * MINUTE, 50, 1024 ** 3, 12_345.5);
  })();
}

function fileBytes(file: string): number {
  return ["", "-wal"].reduce((n, suffix) => n + (fs.existsSync(file + suffix) ? fs.statSync(file + suffix).size : 0), 0);
}

test(
  "years of synthetic history are cut to the retention windows in batches that let the event loop run, and the file shrinks back to the same size after each of repeated fill and clean-up rounds",
  withDb(async (db) => {
    const file = db.$client.name;
    const vms = [randomUUID(), randomUUID(), randomUUID()];
    recordTick(
      db,
      tick(
        T0,
        vms.map((uuid) => ({ uuid, values: {} })),
      ),
    );
    db.$client.exec("DELETE FROM metric_raw");
    const ids = vms.map((uuid) => subjectId(db, uuid));
    const windows = retentionMs(DEFAULT_RETENTION);
    let now = T0 + 3 * 365 * DAY;
    const afterCleanup: number[] = [];
    for (let round = 0; round < 4; round++) {
      now += 365 * DAY;
      // A year of 1-hour buckets, 60 days of 1-minute buckets and 3 days of raw minutes per VM;
      // both rollups have already read the raw samples (their position is now).
      for (const id of ids) {
        fillRollup(db, "metric_1h", id, now, HOUR, 365 * 24);
        fillRollup(db, "metric_1m", id, now, MINUTE, 60 * 24 * 60);
        fillRaw(db, id, now, 3 * 24 * 60);
      }
      db.$client.exec(`INSERT OR REPLACE INTO metric_rollup_state VALUES ('1m', ${now}), ('1h', ${now})`);
      const before = { raw: count(db, "metric_raw"), m: count(db, "metric_1m"), h: count(db, "metric_1h") };
      if (round === 0) assert.deepEqual(before, { raw: 3 * 4320, m: 3 * 86_400, h: 3 * 8760 });
      db.$client.pragma("wal_checkpoint(PASSIVE)");
      const filledMain = fs.statSync(file).size;
      // The clean-up lets the event loop run between its bounded batches.
      let turns = 0;
      let running = true;
      const spin = () => {
        if (!running) return;
        turns++;
        setImmediate(spin);
      };
      setImmediate(spin);
      const report = await historyMaintenance(db, () => now);
      running = false;
      const totalDeleted = report.deleted.raw + report.deleted["1m"] + report.deleted["1h"];
      assert.ok(turns >= Math.floor(totalDeleted / DELETE_BATCH), `round ${round}: ${turns} event-loop turns while ${totalDeleted} rows were deleted`);
      // Kept: exactly the rows younger than each window (the fills end one step before `now`).
      const kept = { raw: (3 * windows.raw) / MINUTE, m: (3 * windows.minute) / MINUTE, h: (3 * windows.hour) / HOUR };
      assert.deepEqual({ raw: count(db, "metric_raw"), m: count(db, "metric_1m"), h: count(db, "metric_1h") }, kept, `round ${round}`);
      assert.deepEqual(report.deleted, { raw: before.raw - kept.raw, "1m": before.m - kept.m, "1h": before.h - kept.h });
      assert.ok(report.pagesFreed > 0, `round ${round}: no pages returned`);
      assert.ok((db.$client.pragma("freelist_count", { simple: true }) as number) <= FREE_PAGES_KEPT);
      // The main file is cut back to the live pages plus the free pages kept for the next inserts.
      const main = fs.statSync(file).size;
      const pageSize = db.$client.pragma("page_size", { simple: true }) as number;
      const livePages = (db.$client.pragma("page_count", { simple: true }) as number) - (db.$client.pragma("freelist_count", { simple: true }) as number);
      assert.ok(main <= (livePages + FREE_PAGES_KEPT) * pageSize, `round ${round}: ${main} bytes, ${livePages} live pages`);
      assert.ok(main < filledMain * 0.6, `round ${round}: ${main} bytes after clean-up, ${filledMain} filled`);
      // The WAL keeps its high-water mark, up to the journal_size_limit set when the database is opened.
      assert.ok(fileBytes(file) - main <= 64 * 1024 ** 2, `round ${round}: WAL of ${fileBytes(file) - main} bytes`);
      afterCleanup.push(main);
    }
    // Four years of fills later the file is no bigger than after the first clean-up.
    assert.ok(
      afterCleanup.every((s) => s <= afterCleanup[0]! * 1.05),
      afterCleanup.join(", "),
    );
  }),
);

test(
  "raw samples older than their retention that were never rolled up are rolled up before they are deleted",
  withDb(async (db) => {
    const uuid = randomUUID();
    recordTick(db, tick(T0, [{ uuid, values: { "vm.cpu": 1 } }]));
    db.$client.exec(`INSERT INTO metric_rollup_state VALUES ('1m', ${T0}), ('1h', ${T0})`);
    // The position says nothing from T0 on was rolled up: as if the clean-up had not run for days.
    const id = subjectId(db, uuid);
    await historyMaintenance(db, () => T0 + 3 * DAY);
    assert.equal((db.$client.prepare("SELECT count(*) AS n FROM metric_1m WHERE subject_id = ?").get(id) as { n: number }).n, 1);
    // Rolled up in that same run, so now the raw row is past its 24 h and gone.
    assert.equal(count(db, "metric_raw"), 0);
  }),
);

test("the resolution follows the range: raw up to 6 h, 1-minute up to 7 days, 1-hour beyond, coarser when the finer one has expired", () => {
  const now = T0 + 100 * DAY;
  const kept = retentionMs(DEFAULT_RETENTION);
  assert.equal(pickResolution(now - HOUR, now, now, kept), "raw");
  assert.equal(pickResolution(now - 6 * HOUR, now, now, kept), "raw");
  assert.equal(pickResolution(now - 6 * HOUR - 1, now, now, kept), "1m");
  assert.equal(pickResolution(now - 7 * DAY, now, now, kept), "1m");
  assert.equal(pickResolution(now - 7 * DAY - 1, now, now, kept), "1h");
  assert.equal(pickResolution(now - 30 * DAY, now, now, kept), "1h");
  // 2 h of the day before yesterday: raw samples are gone, its minutes are not.
  assert.equal(pickResolution(now - 2 * DAY, now - 2 * DAY + 2 * HOUR, now, kept), "1m");
  // A day a month ago: only hours are left.
  assert.equal(pickResolution(now - 30 * DAY, now - 29 * DAY, now, kept), "1h");
});

test(
  "a history query reads the table of the resolution it picked and gives min/avg/max per point",
  withDb((db) => {
    const uuid = randomUUID();
    const now = T0 + 40 * DAY;
    recordTick(db, tick(now - HOUR, [{ uuid, values: { "vm.cpu": 7 } }], { "host.cpu": 70 }));
    const id = subjectId(db, uuid);
    const insert = (table: string, at: number, min: number) =>
      db.$client
        .prepare(`INSERT INTO ${table} (id, subject_id, at, vm_cpu_min, vm_cpu_avg, vm_cpu_max) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(rollupRowId(id, at), id, at, min, min + 1, min + 2);
    insert("metric_1m", now - 2 * DAY, 1);
    insert("metric_1h", now - 20 * DAY, 4);
    const vm = { kind: "vm" as const, hostId: "local", uuid };
    const clock = () => now;
    assert.deepEqual(history(db, vm, "vm.cpu", now - 6 * HOUR, now, clock), {
      resolution: "raw",
      stepMs: 0,
      points: [{ at: now - HOUR, min: 7, avg: 7, max: 7 }],
    });
    assert.deepEqual(history(db, vm, "vm.cpu", now - 7 * DAY, now, clock), {
      resolution: "1m",
      stepMs: MINUTE,
      points: [{ at: now - 2 * DAY, min: 1, avg: 2, max: 3 }],
    });
    assert.deepEqual(history(db, vm, "vm.cpu", now - 30 * DAY, now, clock), {
      resolution: "1h",
      stepMs: HOUR,
      points: [{ at: now - 20 * DAY, min: 4, avg: 5, max: 6 }],
    });
    // A bucket that starts before the range but reaches into it is part of it.
    assert.equal(history(db, vm, "vm.cpu", now - 20 * DAY + 30 * MINUTE, now, clock).points.length, 1);
    assert.deepEqual(history(db, { kind: "host", hostId: "local" }, "host.cpu", now - HOUR, now, clock).points, [
      { at: now - HOUR, min: 70, avg: 70, max: 70 },
    ]);
    assert.deepEqual(history(db, { ...vm, uuid: randomUUID() }, "vm.cpu", now - HOUR, now, clock).points, []);
    assert.throws(() => history(db, vm, "host.cpu", now - HOUR, now, clock), /is not a vm metric/);
  }),
);

test(
  "a shorter stored retention makes the query pick the coarser resolution and the clean-up delete sooner",
  withDb(async (db) => {
    writeRetention(db, { rawHours: 2, minuteDays: 1, hourDays: 7 });
    const uuid = randomUUID();
    const now = T0 + 10 * DAY;
    recordTick(db, tick(now - 3 * HOUR, [{ uuid, values: { "vm.cpu": 7 } }]));
    assert.equal(history(db, { kind: "vm", hostId: "local", uuid }, "vm.cpu", now - 4 * HOUR, now, () => now).resolution, "1m");
    await historyMaintenance(db, () => now);
    assert.equal(count(db, "metric_raw"), 0);
    assert.equal(count(db, "metric_1m"), 2);
  }),
);

test(
  "a subject with no rows left in any table is removed, and a later tick of it starts a new one",
  withDb(async (db) => {
    const uuid = randomUUID();
    recordTick(db, tick(T0, [{ uuid, values: { "vm.cpu": 1 } }]));
    const first = subjectId(db, uuid);
    await historyMaintenance(db, () => T0 + 400 * DAY);
    assert.equal(count(db, "metric_subjects"), 0);
    recordTick(db, tick(T0 + 400 * DAY, [{ uuid, values: { "vm.cpu": 1 } }]));
    assert.notEqual(subjectId(db, uuid), first);
    assert.equal(count(db, "metric_raw"), 2);
  }),
);

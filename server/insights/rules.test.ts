import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDatabase } from "@/server/testing/test-db";
import type { Db } from "@/server/db/client";
import { historyMaintenance, recordTick } from "@/server/metrics/history";
import { METRIC_KEYS, type HostMetricKey, type MetricsTick, type VmMetricKey } from "@/server/metrics/sample";
import { readVmHistory } from "./history-input";
import {
  computeInsights,
  DAY_MS,
  daysUntilFull,
  filesystemFull,
  HOUR_MS,
  noAgent,
  noSnapshot,
  overcommit,
  oversized,
  undersized,
  type AgentInput,
  type HostInput,
  type Insight,
  type VmInput,
} from "./rules";
import { readReport, readSightings, recordSighting, saveReport } from "./store";

/** The injected clock: half past noon, so the current (incomplete) hour is 12:00–13:00. */
const NOW = Date.UTC(2026, 10, 20, 12, 30);
const HOUR_START = Date.UTC(2026, 10, 20, 12);
const GiB = 1024 ** 3;

const VM_KEYS = METRIC_KEYS.filter((k): k is VmMetricKey => k.startsWith("vm."));
const HOST_KEYS = METRIC_KEYS.filter((k): k is HostMetricKey => k.startsWith("host."));

type Figures = Partial<Record<VmMetricKey, number | null>>;

function tick(at: number, vms: { uuid: string; values: Figures }[]): MetricsTick {
  return {
    host: { hostId: "local", at, reachable: true, values: Object.fromEntries(HOST_KEYS.map((k) => [k, null])) as Record<HostMetricKey, null>, pools: [] },
    vms: vms.map((vm) => ({
      hostId: "local",
      uuid: vm.uuid,
      name: vm.uuid,
      at,
      running: true,
      values: Object.fromEntries(VM_KEYS.map((k) => [k, vm.values[k] ?? null])) as Record<VmMetricKey, number | null>,
      filesystems: [],
    })),
  };
}

/**
 * Synthetic history the way the product makes it: two collector ticks an hour (at :10 and :40) up to
 * the current hour, each VM for its own number of days, stored by the history and rolled up by its
 * clean-up job (once, at the end: rollups only move forward). `figures(hoursAgo, minute)` gives each
 * tick's values.
 */
type Seed = { days: number; figures: (hoursAgo: number, minute: number) => Figures };
async function seedHistory(db: Db, vms: Record<string, Seed>): Promise<void> {
  const longest = Math.max(...Object.values(vms).map((v) => v.days));
  for (let h = longest * 24; h >= 1; h--) {
    for (const minute of [10, 40]) {
      const present = Object.entries(vms).filter(([, v]) => h <= v.days * 24);
      recordTick(
        db,
        tick(
          HOUR_START - h * HOUR_MS + minute * 60_000,
          present.map(([uuid, v]) => ({ uuid, values: v.figures(h, minute) })),
        ),
      );
    }
  }
  await historyMaintenance(db, () => NOW);
}

function vmInput(db: Db, uuid: string, over: Partial<VmInput> = {}): VmInput {
  return {
    hostId: "local",
    uuid,
    name: uuid,
    running: true,
    vcpus: 4,
    memoryBytes: 2 * GiB,
    history: readVmHistory(db, NOW)("local", uuid),
    agent: null,
    snapshots: null,
    ...over,
  };
}

async function withDb(fn: (db: Db) => Promise<void>) {
  const { db, cleanup } = tempDatabase();
  try {
    await fn(db);
  } finally {
    cleanup();
  }
}

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const B = "bbbbbbbb-0000-4000-8000-000000000002";

const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);
type FiguresOf<K extends Insight["kind"]> = Extract<Insight["figures"], { kind: K }>;

test("oversized: every hour averaging 4.9 % for 7 days fires with the average, the peak and fewer vCPUs; 5.1 % does not", () =>
  withDb(async (db) => {
    // 4.9 % each hour (4.8 and 5.0), and one hour three days ago of 9.6 and 0.2: also 4.9 on average, 9.6 at its peak.
    await seedHistory(db, {
      [A]: { days: 7, figures: (h, m) => ({ "vm.cpu": h === 72 ? (m === 10 ? 9.6 : 0.2) : m === 10 ? 4.8 : 5.0 }) },
      [B]: { days: 7, figures: (_h, m) => ({ "vm.cpu": m === 10 ? 5.0 : 5.2 }) },
    });
    const found = oversized(vmInput(db, A), NOW);
    assert.ok(found, "4.9 % for 7 days is oversized");
    assert.equal(found.severity, "info");
    const f = found.figures as FiguresOf<"vm.oversized">;
    near(f.averageCpu, 4.9, "average");
    near(f.peakCpu, 9.6, "peak");
    assert.deepEqual([f.days, f.vcpus, f.suggestedVcpus], [7, 4, 1]);
    assert.equal(oversized(vmInput(db, B), NOW), null, "5.1 % is not under 5 %");
    assert.equal(oversized(vmInput(db, A, { vcpus: 1 }), NOW), null, "one vCPU cannot become fewer");
  }));

test("oversized: 6 days of idle history is not enough and the kind waits for history; 7 days is", () =>
  withDb(async (db) => {
    await seedHistory(db, { [A]: { days: 6, figures: () => ({ "vm.cpu": 1 }) }, [B]: { days: 7, figures: () => ({ "vm.cpu": 1 }) } });
    assert.equal(oversized(vmInput(db, A), NOW), null);
    assert.ok(oversized(vmInput(db, B), NOW));
    const report = computeInsights([{ hostId: "local", memoryBytes: 64 * GiB, vms: [vmInput(db, A), vmInput(db, B)] }], NOW);
    assert.deepEqual(
      report.insights.map((i) => [i.kind, i.uuid]),
      [["vm.oversized", B]],
    );
    assert.deepEqual(
      report.waiting.find((w) => w.kind === "vm.oversized"),
      { kind: "vm.oversized", daysNeeded: 7, vms: 1 },
    );
  }));

test("oversized: a VM that ran for less than 90 % of the 7 days was not measured idle for 7 days", () =>
  withDb(async (db) => {
    // Stopped (no CPU figure) for the first day of the seven: 6 of 7 days measured, 86 %.
    await seedHistory(db, { [A]: { days: 7, figures: (h) => ({ "vm.cpu": h > 6 * 24 ? null : 1, "vm.memory.total": 1 }) } });
    assert.equal(oversized(vmInput(db, A), NOW), null);
  }));

test("undersized: memory above 90 % in every hour of the last day fires with the average and the lowest hour; one hour at 89 % does not", () =>
  withDb(async (db) => {
    // Balloon figures (used/total) for A; our agent's own figure for B, preferred over the balloon's.
    await seedHistory(db, {
      [A]: { days: 1, figures: (h) => ({ "vm.memory.used": h === 5 ? 910 : 950, "vm.memory.total": 1000 }) },
      [B]: { days: 1, figures: (h) => ({ "vm.memory.used": 990, "vm.memory.total": 1000, "vm.guest.memory": h === 5 ? 89 : 95 }) },
    });
    const found = undersized(vmInput(db, A), NOW);
    assert.ok(found);
    assert.equal(found.severity, "warning");
    const f = found.figures as FiguresOf<"vm.undersized">;
    near(f.lowestMemory, 91, "lowest");
    near(f.averageMemory, (23 * 95 + 91) / 24, "average");
    assert.equal(f.memoryBytes, 2 * GiB);
    assert.equal(undersized(vmInput(db, B), NOW), null, "the guest's 89 % hour breaks the day");
  }));

test("filesystem trending full: days until full from the 7-day slope; a flat filesystem has no days until full", () =>
  withDb(async (db) => {
    // 3 % a day from 70 % seven days ago: 91 % in the last hour, so 3 days to go (critical).
    // B: 0.5 % a day, (100 − 91) / 0.5 = 18 days to go (warning).
    await seedHistory(db, {
      [A]: { days: 7, figures: (h, m) => ({ "vm.guest.filesystem": 91 - ((h - 1) * 3) / 24 + (m === 10 ? -0.01 : 0.01) }) },
      [B]: { days: 7, figures: (h) => ({ "vm.guest.filesystem": 91 - ((h - 1) * 0.5) / 24 }) },
    });
    const fast = filesystemFull(vmInput(db, A), NOW);
    assert.ok(fast);
    const f = fast.figures as FiguresOf<"vm.filesystemFull">;
    assert.equal(fast.severity, "critical");
    assert.ok(Math.abs(f.percentPerDay - 3) < 1e-6, `slope ${f.percentPerDay}`);
    assert.ok(Math.abs(f.daysUntilFull - 3) < 1e-6, `days ${f.daysUntilFull}`);
    const slow = filesystemFull(vmInput(db, B), NOW);
    assert.equal(slow?.severity, "warning");
    assert.ok(Math.abs((slow!.figures as FiguresOf<"vm.filesystemFull">).daysUntilFull - 18) < 1e-6);

    const flat = Array.from({ length: 168 }, (_, i) => ({ at: HOUR_START - (168 - i) * HOUR_MS, value: 80 }));
    assert.equal(daysUntilFull(flat), null, "flat: never full at this rate");
    assert.equal(daysUntilFull(flat.map((p, i) => ({ ...p, value: 80 - i / 100 }))), null, "shrinking: never full");
  }));

test("filesystem trending full: beyond 30 days, or with only 6 days of history, says nothing", () =>
  withDb(async (db) => {
    await seedHistory(db, {
      [A]: { days: 7, figures: (h) => ({ "vm.guest.filesystem": 50 - ((h - 1) * 1) / 24 }) },
      [B]: { days: 6, figures: (h) => ({ "vm.guest.filesystem": 91 - ((h - 1) * 3) / 24 }) },
    }); // 50 days to go
    assert.equal(filesystemFull(vmInput(db, A), NOW), null);
    assert.equal(filesystemFull(vmInput(db, B), NOW), null);
  }));

const agent = (over: Partial<AgentInput> = {}): AgentInput => ({
  connectedNow: false,
  agentSeenAt: null,
  qgaSeenAt: null,
  agentChannel: true,
  qgaChannel: false,
  ...over,
});
const NO_HISTORY = { since: null, hours: [] };
const bare = (over: Partial<VmInput> = {}): VmInput => ({
  hostId: "local",
  uuid: A,
  name: "web-1",
  running: true,
  vcpus: 2,
  memoryBytes: 4 * GiB,
  history: NO_HISTORY,
  agent: null,
  snapshots: null,
  ...over,
});

test("no agent: a running VM with neither agent connected nor seen in 7 days; not when connected, seen lately, stopped or unknown", () => {
  const never = noAgent(bare({ agent: agent() }), NOW);
  assert.deepEqual(never?.figures, { kind: "vm.noAgent", lastSeenAt: null, agentChannel: true, qgaChannel: false });
  const long = noAgent(bare({ agent: agent({ agentSeenAt: NOW - 8 * DAY_MS, qgaSeenAt: NOW - 9 * DAY_MS }) }), NOW);
  assert.equal((long?.figures as FiguresOf<"vm.noAgent">).lastSeenAt, NOW - 8 * DAY_MS);
  assert.equal(noAgent(bare({ agent: agent({ qgaSeenAt: NOW - 6 * DAY_MS }) }), NOW), null, "qemu-guest-agent seen 6 days ago");
  assert.equal(noAgent(bare({ agent: agent({ connectedNow: true }) }), NOW), null);
  assert.equal(noAgent(bare({ running: false, agent: agent() }), NOW), null);
  assert.equal(noAgent(bare({ agent: null }), NOW), null);
});

test("agent sightings are stored per VM and agent kind, the latest kept", () =>
  withDb(async (db) => {
    recordSighting(db, "local", A.toUpperCase(), "agent", NOW - DAY_MS);
    recordSighting(db, "local", A, "qga", NOW - 2 * DAY_MS);
    recordSighting(db, "local", A, "agent", NOW);
    const seen = readSightings(db);
    assert.deepEqual(seen("local", A), { agentAt: NOW, qgaAt: NOW - 2 * DAY_MS });
    assert.deepEqual(seen("local", B), { agentAt: null, qgaAt: null });
  }));

test("not snapshotted: none, or the newest older than 30 days, fires; 29 days old or unreadable does not", () => {
  assert.deepEqual(noSnapshot(bare({ snapshots: { count: 0, newestAt: null } }), NOW)?.figures, {
    kind: "vm.noSnapshot",
    days: 30,
    snapshots: 0,
    newestAt: null,
  });
  assert.equal(
    (noSnapshot(bare({ snapshots: { count: 2, newestAt: NOW - 31 * DAY_MS } }), NOW)?.figures as FiguresOf<"vm.noSnapshot">).newestAt,
    NOW - 31 * DAY_MS,
  );
  assert.equal(noSnapshot(bare({ snapshots: { count: 1, newestAt: NOW - 29 * DAY_MS } }), NOW), null);
  assert.equal(noSnapshot(bare({ snapshots: null }), NOW), null);
});

test("host memory over-committed: the running VMs' sum over the host's is a warning, all defined VMs' sum an info, naming the figure", () => {
  const host = (vms: VmInput[]): HostInput => ({ hostId: "local", memoryBytes: 16 * GiB, vms });
  const running = overcommit(host([bare({ memoryBytes: 10 * GiB }), bare({ memoryBytes: 8 * GiB })]));
  assert.equal(running?.severity, "warning");
  assert.deepEqual(running?.figures, {
    kind: "host.overcommit",
    figure: "running",
    committedBytes: 18 * GiB,
    hostBytes: 16 * GiB,
    percent: 112.5,
    runningBytes: 18 * GiB,
    definedBytes: 18 * GiB,
  });
  const defined = overcommit(host([bare({ memoryBytes: 10 * GiB }), bare({ running: false, memoryBytes: 8 * GiB })]));
  assert.equal(defined?.severity, "info");
  assert.equal((defined?.figures as FiguresOf<"host.overcommit">).figure, "defined");
  assert.equal(
    overcommit(host([bare({ memoryBytes: 8 * GiB }), bare({ running: false, memoryBytes: 8 * GiB })])),
    null,
    "all defined: exactly the host's memory",
  );
  assert.equal(overcommit(host([bare({ memoryBytes: 8 * GiB }), bare({ memoryBytes: 8 * GiB })])), null, "running: exactly the host's memory");
  assert.equal(overcommit({ hostId: "local", memoryBytes: null, vms: [bare({ memoryBytes: 99 * GiB })] }), null);
});

test("a fresh install without history: only the insights whose inputs exist, and every history kind waits for its days", () =>
  withDb(async (db) => {
    const report = computeInsights(
      [{ hostId: "local", memoryBytes: 64 * GiB, vms: [vmInput(db, A, { agent: agent(), snapshots: { count: 0, newestAt: null } })] }],
      NOW,
    );
    assert.deepEqual(report.insights.map((i) => i.kind).sort(), ["vm.noAgent", "vm.noSnapshot"]);
    assert.deepEqual(report.waiting, [
      { kind: "vm.oversized", daysNeeded: 7, vms: 1 },
      { kind: "vm.undersized", daysNeeded: 1, vms: 1 },
      { kind: "vm.filesystemFull", daysNeeded: 7, vms: 1 },
    ]);
  }));

test("a stored report replaces the previous one whole and is read back filtered by kind, severity and VM", () =>
  withDb(async (db) => {
    assert.equal(readReport(db), null, "nothing before the first computation");
    const first = computeInsights([{ hostId: "local", memoryBytes: 1 * GiB, vms: [bare({ uuid: A, snapshots: { count: 0, newestAt: null } })] }], NOW - DAY_MS);
    saveReport(db, first, "schedule");
    const vms = [bare({ uuid: A, agent: agent() }), bare({ uuid: B, name: "db-1", snapshots: { count: 0, newestAt: null } })];
    saveReport(db, computeInsights([{ hostId: "local", memoryBytes: 64 * GiB, vms }], NOW, [{ hostId: "far", error: "no answer" }]), "user");
    const all = readReport(db)!;
    assert.equal(all.at, NOW);
    assert.equal(all.trigger, "user");
    assert.deepEqual(all.failedHosts, [{ hostId: "far", error: "no answer" }]);
    assert.deepEqual(
      all.insights.map((i) => [i.kind, i.uuid]),
      [
        ["vm.noSnapshot", B],
        ["vm.noAgent", A],
      ],
    );
    assert.deepEqual(
      readReport(db, { kind: "vm.noAgent" })!.insights.map((i) => i.uuid),
      [A],
    );
    assert.deepEqual(readReport(db, { severity: "warning" })!.insights, []);
    assert.deepEqual(
      readReport(db, { hostId: "local", uuid: B.toUpperCase() })!.insights.map((i) => i.kind),
      ["vm.noSnapshot"],
    );
  }));

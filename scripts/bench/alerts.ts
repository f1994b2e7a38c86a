// Alert evaluation after a tick of 1,000 VMs: the pure core alone (state and rules in memory), and
// the whole evaluator (rules and silences read from SQLite, alerts written) in a quiet tick and in a
// storm where every VM's alert fires at once and then resolves. Run alone with
// `node --import tsx scripts/bench/alerts.ts`, or from main.ts through benchAlerts().
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey } from "../../server/metrics/sample";
import { EMPTY_STATE, evaluate, type EvalState } from "../../server/alerts/evaluate";
import { AlertEvaluator } from "../../server/alerts/evaluator";
import { createRule } from "../../server/alerts/store";
import type { AlertRule, RuleInput } from "../../server/alerts/rules";
import { tempDatabase } from "../../server/testing/test-db";
import { count, ms, table } from "./format";

export interface AlertBench {
  vms: number;
  rules: number;
  pure: { median: number; p95: number };
  quiet: { median: number; p95: number };
  storm: { fire: number; resolve: number; alerts: number };
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.floor(sorted.length * 0.95)]! };
}

function makeTick(vms: number, cpu: (i: number) => number): MetricsTick {
  const nulls = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  return {
    host: { hostId: "bench", at: 0, reachable: true, values: { "host.cpu": 20, "host.memory.used": 60, "host.memory.total": 100 }, pools: [] },
    vms: Array.from({ length: vms }, (_, i) => ({
      hostId: "bench",
      uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
      name: `vm-${i}`,
      at: 0,
      running: true,
      values: { ...nulls, "vm.cpu": cpu(i), "vm.memory.used": 512, "vm.memory.total": 1024, "vm.guest.filesystem": 40 },
      filesystems: [],
    })),
  };
}

const RULES: RuleInput[] = [
  {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "warning",
    enabled: true,
  },
  {
    name: "memory",
    metric: "vm.memory.percent",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 90,
    resolveThreshold: 80,
    forMs: 60_000,
    severity: "warning",
    enabled: true,
  },
  {
    name: "fs",
    metric: "vm.guest.filesystem",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 90,
    resolveThreshold: 85,
    forMs: 60_000,
    severity: "warning",
    enabled: true,
  },
  {
    name: "crash",
    metric: "vm.crashed",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 0,
    resolveThreshold: 0,
    forMs: 0,
    severity: "critical",
    enabled: true,
  },
  {
    name: "agent",
    metric: "agent.lost",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 0,
    resolveThreshold: 0,
    forMs: 300_000,
    severity: "warning",
    enabled: true,
  },
  {
    name: "host mem",
    metric: "host.memory.percent",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 95,
    resolveThreshold: 90,
    forMs: 60_000,
    severity: "critical",
    enabled: true,
  },
];

export async function benchAlerts({ vms = 1000, ticks = 200 } = {}): Promise<AlertBench> {
  const rules: AlertRule[] = RULES.map((r, i) => ({ id: i + 1, ...r }));
  const quietTick = makeTick(vms, (i) => i % 50);
  let state: EvalState = EMPTY_STATE;
  const pure: number[] = [];
  for (let t = 0; t < ticks; t += 1) {
    const start = performance.now();
    state = evaluate(state, { now: t * 5000, tick: quietTick, rules, tagsOf: () => [], agentConnected: () => true, lifecycle: [], silences: [] }).state;
    pure.push(performance.now() - start);
  }

  const { db, cleanup } = tempDatabase();
  try {
    let clock = 0;
    const evaluator = new AlertEvaluator({ db, now: () => clock, publish: () => undefined, subscribe: () => () => undefined, tagsOf: async () => [] });
    evaluator.start();
    for (const r of RULES) createRule(db, r);
    const quiet: number[] = [];
    for (let t = 0; t < ticks; t += 1) {
      clock += 5000;
      const start = performance.now();
      await evaluator.onTick(quietTick);
      quiet.push(performance.now() - start);
    }
    clock += 5000;
    let start = performance.now();
    const fired = await evaluator.onTick(makeTick(vms, () => 99));
    const fire = performance.now() - start;
    clock += 5000;
    start = performance.now();
    await evaluator.onTick(quietTick);
    const resolve = performance.now() - start;
    return { vms, rules: RULES.length, pure: stats(pure), quiet: stats(quiet), storm: { fire, resolve, alerts: fired.length } };
  } finally {
    cleanup();
  }
}

export function alertRows(b: AlertBench): string[][] {
  return [
    [`alerts: pure evaluation of a tick`, ms(b.pure.median), ms(b.pure.p95), `${count(b.vms)} VMs × ${b.rules} rules, nothing firing`],
    [`alerts: evaluator tick (SQLite)`, ms(b.quiet.median), ms(b.quiet.p95), `same, rules and silences read from the database`],
    [`alerts: storm, all fire`, ms(b.storm.fire), "", `${count(b.storm.alerts)} alerts written in one transaction`],
    [`alerts: storm, all resolve`, ms(b.storm.resolve), "", `the same alerts resolved on the next tick`],
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await benchAlerts();
  console.log(table([["benchmark", "median", "p95", "notes"], ...alertRows(result)]));
}

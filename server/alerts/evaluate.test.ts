import { test } from "node:test";
import assert from "node:assert/strict";
import {
  VIR_DOMAIN_EVENT_CRASHED_PANICKED,
  VIR_DOMAIN_EVENT_STOPPED_DESTROYED,
  VIR_DOMAIN_EVENT_STOPPED_FAILED,
  VIR_DOMAIN_EVENT_STOPPED_MIGRATED,
  VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN,
} from "@/server/libvirt/generated/constants";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey, type VmSample } from "@/server/metrics/sample";
import type { LifecycleEventName } from "@/server/events/bus";
import { EMPTY_STATE, evaluate, type ActiveSilence, type AlertEvent, type EvalInput, type EvalState, type LifecycleFact } from "./evaluate";
import { ruleInputSchema, type AlertRule, type RuleInput } from "./rules";

const HOST = "local";
const WEB = "11111111-1111-4111-8111-111111111111";
const DB = "22222222-2222-4222-8222-222222222222";
const TICK_MS = 5_000;

function rule(id: number, over: Partial<RuleInput> = {}): AlertRule {
  const input = ruleInputSchema.parse({
    name: `rule ${id}`,
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 15_000,
    severity: "warning",
    ...over,
  });
  return { id, ...input };
}

function vm(uuid: string, name: string, values: Partial<Record<VmMetricKey, number | null>>, running = true): VmSample {
  const all = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  return { hostId: HOST, uuid, name, at: 0, running, values: { ...all, ...values }, filesystems: [] };
}

function tick(vms: VmSample[], host: Partial<MetricsTick["host"]> = {}): MetricsTick {
  return {
    host: { hostId: HOST, at: 0, reachable: true, values: { "host.cpu": 10, "host.memory.used": 50, "host.memory.total": 100 }, pools: [], ...host },
    vms,
  };
}

/** Runs ticks at TICK_MS apart from t=0, threading the state; returns every event with its tick index. */
function run(rules: AlertRule[], ticks: Array<Partial<EvalInput> & { tick: MetricsTick }>, start: EvalState = EMPTY_STATE) {
  let state = start;
  const events: Array<AlertEvent & { tickIndex: number }> = [];
  ticks.forEach((t, i) => {
    const out = evaluate(state, {
      now: i * TICK_MS,
      rules,
      tagsOf: () => [],
      agentConnected: () => undefined,
      lifecycle: [],
      silences: [],
      ...t,
    });
    state = out.state;
    events.push(...out.events.map((e) => ({ ...e, tickIndex: i })));
  });
  return { state, events };
}

const cpu = (...values: number[]) => values.map((v) => ({ tick: tick([vm(WEB, "web-1", { "vm.cpu": v })]) }));

test("a threshold rule fires only once the value has been past it for the whole `for` duration", () => {
  // for = 15 s at 5 s ticks: breached at ticks 1, 2, 3 → 15 s after the first breach at tick 4.
  const { events } = run([rule(1)], cpu(50, 90, 90, 90, 90, 90));
  assert.deepEqual(
    events.map((e) => [e.kind, e.tickIndex]),
    [["fired", 4]],
  );
  assert.equal(events[0]?.kind === "fired" && events[0].value, 90);
});

test("a breach shorter than `for` does not fire, and a dip restarts the window", () => {
  const { events } = run([rule(1)], cpu(90, 90, 90, 60, 90, 90, 90, 60));
  assert.deepEqual(events, []);
});

test("flapping: a value oscillating around the threshold fires at most once per `for` window and resolves only below the resolve threshold", () => {
  // Alternating 79/81 around 80 for a minute: never 15 s past the line in a row, so nothing fires.
  const oscillating = Array.from({ length: 12 }, (_, i) => (i % 2 ? 81 : 79));
  assert.deepEqual(run([rule(1)], cpu(...oscillating)).events, []);

  // Past it for long enough: fires once; then oscillating around the threshold (and sitting on the
  // resolve line, 70) keeps it firing without a second alert; only 69 (< 70) resolves it.
  const series = [85, 85, 85, 85, ...oscillating, 70, 70, 75, 69, 79, 81];
  const { events } = run([rule(1)], cpu(...series));
  assert.deepEqual(
    events.map((e) => [e.kind, series[e.tickIndex]]),
    [
      ["fired", 85],
      ["resolved", 69],
    ],
  );
  const fired = events.filter((e) => e.kind === "fired");
  for (let i = 1; i < fired.length; i += 1) assert.ok(fired[i]!.at - fired[i - 1]!.at >= 15_000);
});

test("a `<` rule fires below its threshold and resolves only above its resolve threshold", () => {
  const low = rule(1, { comparison: "<", threshold: 10, resolveThreshold: 20, forMs: 0 });
  const series = [50, 5, 15, 20, 21];
  const { events } = run([low], cpu(...series));
  assert.deepEqual(
    events.map((e) => [e.kind, series[e.tickIndex]]),
    [
      ["fired", 5],
      ["resolved", 21],
    ],
  );
});

test("a resolve threshold on the wrong side of the threshold is refused by the rule schema", () => {
  const result = ruleInputSchema.safeParse({ ...rule(1), resolveThreshold: 90 });
  assert.equal(result.success, false);
  assert.deepEqual(
    result.error?.issues.map((i) => i.path.join(".")),
    ["resolveThreshold"],
  );
});

test("scope: a rule matches all VMs, one host's, one tag's or a single VM, and nothing else", () => {
  const tags: Record<string, string[]> = { [WEB]: ["prod"], [DB]: ["staging"] };
  const t = { tick: tick([vm(WEB, "web-1", { "vm.cpu": 99 }), vm(DB, "db-1", { "vm.cpu": 99 })]), tagsOf: (_h: string, uuid: string) => tags[uuid] ?? [] };
  const firedFor = (scope: RuleInput["scope"]) =>
    run([rule(1, { scope, forMs: 0 })], [t])
      .events.map((e) => e.subject.name)
      .sort();
  assert.deepEqual(firedFor({ kind: "all" }), ["db-1", "web-1"]);
  assert.deepEqual(firedFor({ kind: "host", hostId: "local" }), ["db-1", "web-1"]);
  assert.deepEqual(firedFor({ kind: "host", hostId: "other" }), []);
  assert.deepEqual(firedFor({ kind: "tag", tag: "prod" }), ["web-1"]);
  assert.deepEqual(firedFor({ kind: "vm", hostId: "local", uuid: DB }), ["db-1"]);
  assert.deepEqual(firedFor({ kind: "vm", hostId: "other", uuid: DB }), []);
});

test("host rules: memory percent is derived from used and total; an unreachable host fires host.unreachable after `for`, not its metrics", () => {
  const mem = rule(1, { metric: "host.memory.percent", threshold: 95, resolveThreshold: 90, forMs: 0 });
  const down = rule(2, { metric: "host.unreachable", forMs: 10_000 });
  const unreachable = { tick: tick([], { reachable: false, values: { "host.cpu": null, "host.memory.used": null, "host.memory.total": null } }) };
  const { events } = run(
    [mem, down],
    [
      { tick: tick([], { values: { "host.cpu": 1, "host.memory.used": 97, "host.memory.total": 100 } }) },
      unreachable,
      unreachable,
      unreachable,
      { tick: tick([]) },
    ],
  );
  assert.deepEqual(
    events.map((e) => [e.kind, e.kind === "fired" ? e.rule.id : e.ruleId, e.tickIndex]),
    [
      ["fired", 1, 0],
      ["fired", 2, 3],
      ["resolved", 1, 4],
      ["resolved", 2, 4],
    ],
  );
  assert.equal(events[0]?.subject.uuid, null);
});

test("silences: a silenced alert is still fired and recorded, marked silenced; rule, VM and tag silences each match", () => {
  const t = {
    tick: tick([vm(WEB, "web-1", { "vm.cpu": 99 }), vm(DB, "db-1", { "vm.cpu": 99 })]),
    tagsOf: (_h: string, uuid: string) => (uuid === DB ? ["noisy"] : []),
  };
  const silencedOf = (silences: ActiveSilence[]) =>
    Object.fromEntries(run([rule(7, { forMs: 0 })], [{ ...t, silences }]).events.map((e) => [e.subject.name, e.kind === "fired" && e.silenced]));
  assert.deepEqual(silencedOf([]), { "web-1": false, "db-1": false });
  assert.deepEqual(silencedOf([{ kind: "rule", value: "7" }]), { "web-1": true, "db-1": true });
  assert.deepEqual(silencedOf([{ kind: "rule", value: "8" }]), { "web-1": false, "db-1": false });
  assert.deepEqual(silencedOf([{ kind: "vm", value: `local/${WEB}` }]), { "web-1": true, "db-1": false });
  assert.deepEqual(silencedOf([{ kind: "tag", value: "noisy" }]), { "web-1": false, "db-1": true });
});

test("a firing alert stays firing across ticks without firing again, and resolves when its VM stops or vanishes", () => {
  const r = rule(1, { forMs: 0 });
  const { events } = run(
    [r],
    [
      { tick: tick([vm(WEB, "web-1", { "vm.cpu": 99 }), vm(DB, "db-1", { "vm.cpu": 99 })]) },
      { tick: tick([vm(WEB, "web-1", { "vm.cpu": 99 }), vm(DB, "db-1", { "vm.cpu": 99 })]) },
      { tick: tick([vm(WEB, "web-1", {}, false)]) },
    ],
  );
  assert.deepEqual(
    events.map((e) => [e.kind, e.subject.name, e.tickIndex]),
    [
      ["fired", "web-1", 0],
      ["fired", "db-1", 0],
      ["resolved", "web-1", 2],
      ["resolved", "db-1", 2],
    ],
  );
});

test("an unknown value (null) and an unreachable host leave VM alerts as they were", () => {
  const r = rule(1, { forMs: 0 });
  const { events, state } = run(
    [r],
    [{ tick: tick([vm(WEB, "web-1", { "vm.cpu": 99 })]) }, { tick: tick([vm(WEB, "web-1", { "vm.cpu": null })]) }, { tick: tick([], { reachable: false }) }],
  );
  assert.deepEqual(
    events.map((e) => e.kind),
    ["fired"],
  );
  assert.equal(state.firing.size, 1);
});

test("an alert whose rule was deleted or disabled resolves on the next tick of its host", () => {
  const r = rule(1, { forMs: 0 });
  const first = run([r], cpu(99));
  const { events } = run([], cpu(99), first.state);
  assert.deepEqual(
    events.map((e) => e.kind),
    ["resolved"],
  );
});

test("a rule changed to watch another metric ends its alert and evaluates the new metric afresh", () => {
  const first = run([rule(1, { forMs: 0 })], cpu(99));
  const { events } = run(
    [rule(1, { metric: "vm.guest.cpu", forMs: 0 })],
    [{ tick: tick([vm(WEB, "web-1", { "vm.cpu": 99, "vm.guest.cpu": 95 })]) }],
    first.state,
  );
  assert.deepEqual(
    events.map((e) => e.kind),
    ["resolved", "fired"],
  );
});

test("agent.lost fires when a VM's agent, once connected, has been gone for `for`; never for a VM that had none", () => {
  const lost = rule(1, { metric: "agent.lost", forMs: 10_000 });
  const agent: Record<string, boolean | undefined> = { [WEB]: false };
  const ticks = Array.from({ length: 4 }, () => ({
    tick: tick([vm(WEB, "web-1", {}), vm(DB, "db-1", {})]),
    agentConnected: (_h: string, uuid: string) => agent[uuid],
  }));
  const { events, state } = run([lost], ticks);
  assert.deepEqual(
    events.map((e) => [e.kind, e.subject.name, e.tickIndex]),
    [["fired", "web-1", 2]],
  );
  const back = run([lost], [{ tick: tick([vm(WEB, "web-1", {})]), agentConnected: () => true }], state);
  assert.deepEqual(
    back.events.map((e) => e.kind),
    ["resolved"],
  );
});

function stop(uuid: string, event: LifecycleEventName, detail: number, userRequested: boolean): LifecycleFact {
  return { hostId: HOST, uuid, name: uuid === WEB ? "web-1" : "db-1", event, detail, at: 0, userRequested };
}

test("vm.crashed: QEMU killed (stopped/failed) and a guest panic fire at once; a stop a user asked for does not", () => {
  const crashed = rule(1, { metric: "vm.crashed", forMs: 0 });
  const firedBy = (facts: LifecycleFact[]) => run([crashed], [{ tick: tick([vm(WEB, "web-1", {}, false)]), lifecycle: facts }]).events.map((e) => e.kind);
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_FAILED, false)]), ["fired"]);
  assert.deepEqual(firedBy([stop(WEB, "crashed", VIR_DOMAIN_EVENT_CRASHED_PANICKED, false)]), ["fired"]);
  // A user shut it down or forced it off from the manager: nothing.
  assert.deepEqual(firedBy([stop(WEB, "shutdown", 0, true), stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, true)]), []);
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_DESTROYED, true)]), []);
  // The same stops with nobody asking: the VM stopped without a user action.
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, false)]), ["fired"]);
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_DESTROYED, false)]), ["fired"]);
  // Moved away on purpose.
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_MIGRATED, false)]), []);
  // Even with a user's request on record, QEMU dying is not what they asked for.
  assert.deepEqual(firedBy([stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_FAILED, true)]), ["fired"]);
});

test("vm.crashed stays firing while the VM is down and resolves once it runs again", () => {
  const crashed = rule(1, { metric: "vm.crashed", forMs: 0 });
  const { events } = run(
    [crashed],
    [
      { tick: tick([vm(WEB, "web-1", {}, false)]), lifecycle: [stop(WEB, "stopped", VIR_DOMAIN_EVENT_STOPPED_FAILED, false)] },
      { tick: tick([vm(WEB, "web-1", {}, false)]) },
      { tick: tick([vm(WEB, "web-1", {}, true)]), lifecycle: [stop(WEB, "started", 0, false)] },
    ],
  );
  assert.deepEqual(
    events.map((e) => [e.kind, e.tickIndex]),
    [
      ["fired", 0],
      ["resolved", 2],
    ],
  );
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { VIR_DOMAIN_EVENT_STOPPED_DESTROYED, VIR_DOMAIN_EVENT_STOPPED_FAILED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN } from "@/server/libvirt/generated/constants";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey } from "@/server/metrics/sample";
import { alertRules, alerts, alertSilences } from "@/server/db/schema";
import { writeAudit } from "@/server/audit/log";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { ManagerEvent } from "@/server/events/bus";
import type { Db } from "@/server/db/client";
import { AlertEvaluator, REQUEST_GRACE_MS, userRequestedStop, wireAlerts } from "./evaluator";
import { acknowledgeAlert, createRule, createSilence, deleteRule, listRules, seedDefaultRules } from "./store";
import { DEFAULT_RULES } from "./rules";

const HOST = "local";
const WEB = "11111111-1111-4111-8111-111111111111";

let db: Db;
let cleanup: () => void;

before(() => {
  ({ db, cleanup } = tempDatabase());
});
after(() => cleanup());

function freshDb(): Db {
  db.delete(alerts).run();
  db.delete(alertRules).run();
  db.delete(alertSilences).run();
  return db;
}

function tick(cpu: number | null, running = true): MetricsTick {
  const values = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  return {
    host: { hostId: HOST, at: 0, reachable: true, values: { "host.cpu": 1, "host.memory.used": 1, "host.memory.total": 100 }, pools: [] },
    vms: [{ hostId: HOST, uuid: WEB, name: "web-1", at: 0, running, values: { ...values, "vm.cpu": cpu }, filesystems: [] }],
  };
}

/** An evaluator on the test database with a hand-moved clock, a private bus and no default rules in the way. */
function harness(options: { userRequestedStop?: (fact: { uuid: string; at: number }) => boolean } = {}) {
  const clock = { now: 1_000_000 };
  const published: ManagerEvent[] = [];
  const listeners: Array<(e: ManagerEvent) => void> = [];
  const evaluator = new AlertEvaluator({
    db,
    now: () => clock.now,
    publish: (e) => published.push(e),
    subscribe: (l) => {
      listeners.push(l);
      return () => undefined;
    },
    tagsOf: async () => [],
    ...options,
  });
  evaluator.start();
  // The defaults are tested on their own; here each test brings its rules.
  db.delete(alertRules).run();
  const bus = (e: ManagerEvent) => listeners.forEach((l) => l(e));
  return { clock, published, evaluator, bus };
}

test("default rules are created once, and a deleted default is not created again", () => {
  freshDb();
  const first = seedDefaultRules(db);
  assert.equal(first, DEFAULT_RULES.length);
  assert.deepEqual(
    listRules(db).map((r) => r.metric),
    ["vm.crashed", "agent.lost", "vm.guest.filesystem", "host.memory.percent"],
  );
  assert.equal(seedDefaultRules(db), 0, "a second start creates nothing");
  db.delete(alertRules).where(eq(alertRules.name, "VM crashed")).run();
  assert.equal(seedDefaultRules(db), 0, "the deleted default stays deleted");
  assert.equal(listRules(db).length, DEFAULT_RULES.length - 1);
});

test("a fired alert is recorded and published once; acknowledged, it stays active until it resolves, keeping who acknowledged it", async () => {
  freshDb();
  const { clock, published, evaluator } = harness();
  const rule = createRule(db, {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "critical",
    enabled: true,
  });

  await evaluator.onTick(tick(95));
  const [fired] = db.select().from(alerts).all();
  assert.equal(fired?.state, "firing");
  assert.equal(fired?.ruleId, rule.id);
  assert.equal(fired?.vmName, "web-1");
  assert.equal(published.length, 1);

  clock.now += 5_000;
  acknowledgeAlert(db, fired!.id, "olga", clock.now);
  await evaluator.onTick(tick(95));
  clock.now += 5_000;
  await evaluator.onTick(tick(75));
  let rows = db.select().from(alerts).all();
  assert.equal(rows.length, 1, "no second alert while the first is active");
  assert.equal(rows[0]!.state, "acknowledged");
  assert.equal(rows[0]!.acknowledgedBy, "olga");

  clock.now += 5_000;
  await evaluator.onTick(tick(60));
  rows = db.select().from(alerts).all();
  assert.equal(rows[0]!.state, "resolved");
  assert.equal(rows[0]!.resolvedAt?.getTime(), clock.now);
  assert.equal(rows[0]!.resolvedValue, 60);
  assert.equal(rows[0]!.acknowledgedBy, "olga", "who acknowledged it is kept");
  assert.deepEqual(
    published.map((e) => e.type === "alert" && e.alert.state),
    ["firing", "resolved"],
  );
});

test("a silenced alert is recorded (marked silenced) but nothing is published, neither when it fires nor when it resolves", async () => {
  freshDb();
  const { published, evaluator } = harness();
  const rule = createRule(db, {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "warning",
    enabled: true,
  });
  createSilence(db, { kind: "vm", value: `${HOST}/${WEB}`, endsAt: Date.now() + 3600_000, reason: "maintenance" }, "olga");
  await evaluator.onTick(tick(95));
  await evaluator.onTick(tick(10));
  const rows = db.select().from(alerts).where(eq(alerts.ruleId, rule.id)).all();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.silenced, true);
  assert.equal(rows[0]!.state, "resolved");
  assert.deepEqual(published, []);
});

test("deleting a rule resolves its active alerts and keeps them, with the rule's name, in the history", async () => {
  freshDb();
  const { clock, evaluator } = harness();
  const rule = createRule(db, {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "warning",
    enabled: true,
  });
  await evaluator.onTick(tick(95));
  deleteRule(db, rule.id, clock.now);
  await evaluator.onTick(tick(95));
  const rows = db.select().from(alerts).all();
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.state, "resolved");
  assert.equal(rows[0]!.ruleId, null);
  assert.equal(rows[0]!.ruleName, "CPU high");
});

test("after a restart, an alert that is still active is not fired again", async () => {
  freshDb();
  const first = harness();
  createRule(db, {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "warning",
    enabled: true,
  });
  await first.evaluator.onTick(tick(95));
  const second = new AlertEvaluator({ db, publish: () => undefined, subscribe: () => () => undefined, tagsOf: async () => [] });
  second.start();
  await second.onTick(tick(95));
  assert.equal(db.select().from(alerts).all().length, 1);
});

test("vm.crashed from bus events: QEMU killed fires on the next tick; a shutdown a user asked for does not", async () => {
  freshDb();
  const asked = new Set<string>();
  const { clock, evaluator, bus, published } = harness({ userRequestedStop: (fact) => asked.has(fact.uuid) });
  createRule(db, {
    name: "VM crashed",
    metric: "vm.crashed",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 0,
    resolveThreshold: 0,
    forMs: 0,
    severity: "critical",
    enabled: true,
  });
  const lifecycle = (event: "stopped" | "started", detail: number): ManagerEvent => ({
    type: "domain.lifecycle",
    hostId: HOST,
    uuid: WEB,
    name: "web-1",
    event,
    detail,
    state: null,
  });

  asked.add(WEB);
  bus(lifecycle("stopped", VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN));
  clock.now += 5_000;
  await evaluator.onTick(tick(null, false));
  assert.equal(db.select().from(alerts).all().length, 0, "a requested shutdown fires nothing");

  bus(lifecycle("started", 0));
  bus(lifecycle("stopped", VIR_DOMAIN_EVENT_STOPPED_FAILED));
  await evaluator.onTick(tick(null, false));
  assert.equal(db.select().from(alerts).all().length, 1, "QEMU dying fires within the tick that follows, request or not");
  assert.equal(published.length, 1);
});

test("a destroy nobody asked for waits one tick for a late audit row, then fires", async () => {
  freshDb();
  const asked = new Set<string>();
  const { clock, evaluator, bus } = harness({ userRequestedStop: (fact) => asked.has(fact.uuid) });
  createRule(db, {
    name: "VM crashed",
    metric: "vm.crashed",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 0,
    resolveThreshold: 0,
    forMs: 0,
    severity: "critical",
    enabled: true,
  });
  bus({ type: "domain.lifecycle", hostId: HOST, uuid: WEB, name: "web-1", event: "stopped", detail: VIR_DOMAIN_EVENT_STOPPED_DESTROYED, state: "shutoff" });
  await evaluator.onTick(tick(null, false));
  assert.equal(db.select().from(alerts).all().length, 0, "younger than the grace: not yet");
  clock.now += REQUEST_GRACE_MS;
  await evaluator.onTick(tick(null, false));
  assert.equal(db.select().from(alerts).all().length, 1);
});

test("the audit log tells a requested stop: the VM's latest power request in the window, a start after a shutdown undoing it", async () => {
  const user = await addUser(db, "olga", "operator");
  const other = "33333333-3333-4333-8333-333333333333";
  const at = Date.now() + 1_000;
  const power = (uuid: string, action: string) =>
    writeAudit(db, { userId: user.id, username: user.username, action: "vms.power", input: { hostId: HOST, uuid, action }, result: "ok" });
  assert.equal(userRequestedStop(db, { uuid: other, at }), false, "no request at all");
  power(other, "shutdown");
  assert.equal(userRequestedStop(db, { uuid: other, at }), true);
  power(other, "start");
  assert.equal(userRequestedStop(db, { uuid: other, at }), false, "started again since");
  writeAudit(db, { userId: user.id, username: user.username, action: "vms.batch", input: { hostId: HOST, uuid: other, action: "forceOff" }, result: "ok" });
  assert.equal(userRequestedStop(db, { uuid: other, at }), true, "a batch force off counts");
  assert.equal(userRequestedStop(db, { uuid: WEB, at }), false, "another VM's request does not");
  writeAudit(db, { userId: user.id, username: user.username, action: "guest.shutdown", input: { hostId: HOST, uuid: WEB }, result: "ok" });
  assert.equal(userRequestedStop(db, { uuid: WEB, at }), true, "a shutdown through the guest agent counts");
});

test("wireAlerts evaluates every tick the collector delivers, and its stop unsubscribes", async () => {
  freshDb();
  const listeners = new Set<(t: MetricsTick) => void>();
  const onTick = (listener: (t: MetricsTick) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const stop = wireAlerts(onTick, db);
  assert.equal(listeners.size, 1);
  createRule(db, {
    name: "CPU high",
    metric: "vm.cpu",
    scope: { kind: "all" },
    comparison: ">",
    threshold: 80,
    resolveThreshold: 70,
    forMs: 0,
    severity: "warning",
    enabled: true,
  });
  for (const l of listeners) l(tick(95));
  await waitForRows(1);
  stop();
  assert.equal(listeners.size, 0);
});

/** The wired evaluator runs a tick asynchronously: poll the table with a deadline. */
async function waitForRows(n: number) {
  const deadline = Date.now() + 5_000;
  while (db.select().from(alerts).all().length < n) {
    if (Date.now() > deadline) assert.fail(`no ${n} alert rows within 5 s`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

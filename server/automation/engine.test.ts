import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { scheduleRuns } from "../db/schema";
import { uuidFromString } from "../libvirt";
import type { ResolvedVm } from "../domains/lookup";
import { addUser, tempDatabase } from "../testing/test-db";
import { updateUser, type SessionUser } from "../users/service";
import { ServiceError } from "../errors";
import { SCHEDULE_ACTIONS, type ActionContext, type ScheduleAction } from "./actions";
import { ScheduleEngine } from "./engine";
import { createSchedule, toRun, writeHostConcurrency } from "./service";
import type { ScheduleInput } from "./schemas";
import { FakeClock } from "./testing/fake-clock";

const T0 = Date.parse("2026-11-27T12:00:30Z");
const MINUTE = 60_000;

let db: Db;
let cleanup: () => void;
let clock: FakeClock;
let admin: SessionUser;
let vms: ResolvedVm[];
let calls: { vm: string; at: Date }[];
let engine: ScheduleEngine | null;

function fakeVm(hostId: string, name: string, n: number): ResolvedVm {
  const uuid = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return { hostId, name, context: `VM "${name}" on host "${hostId}"`, dom: { name, uuid: uuidFromString(uuid), id: -1 } } as unknown as ResolvedVm;
}

/** Every action replaced by `run`; the rest (permissions, option schemas) as in the product. */
function withRun(run: (ctx: ActionContext) => Promise<string>) {
  const fake = (a: ScheduleAction<never>): ScheduleAction<never> => ({ ...a, run: (ctx) => run(ctx) });
  return {
    start: fake(SCHEDULE_ACTIONS.start),
    shutdown: fake(SCHEDULE_ACTIONS.shutdown),
    reboot: fake(SCHEDULE_ACTIONS.reboot),
    snapshot: fake(SCHEDULE_ACTIONS.snapshot),
    backup: fake(SCHEDULE_ACTIONS.backup),
  };
}

const recording = withRun(async (ctx) => {
  calls.push({ vm: ctx.vm.name, at: ctx.at });
  return "started";
});

function newEngine(actions = recording): ScheduleEngine {
  engine = new ScheduleEngine({ db, clock, actions, resolveTargets: async () => ({ vms, hostErrors: [] }), log: () => undefined });
  return engine;
}

function input(overrides: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    name: "nightly",
    target: { kind: "tag", tag: "web", hostId: null },
    cron: "* * * * *",
    timeZone: "Europe/Berlin",
    missedPolicy: "skip",
    enabled: true,
    action: "start",
    options: {},
    ...overrides,
  } as ScheduleInput;
}

function runs(scheduleId: number) {
  return db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, scheduleId)).orderBy(asc(scheduleRuns.id)).all().map(toRun);
}

beforeEach(async () => {
  ({ db, cleanup } = tempDatabase());
  clock = new FakeClock(T0);
  admin = await addUser(db, "alice", "admin");
  vms = [fakeVm("local", "web-1", 1)];
  calls = [];
  engine = null;
});

afterEach(async () => {
  await engine?.stop();
  cleanup();
});

test("a schedule every minute runs once a minute, each run for its fire time, and a stopped engine leaves no timer", async () => {
  const s = await createSchedule(db, admin, input(), new Date(clock.now()));
  newEngine().start();
  await clock.advance(4 * MINUTE);
  await engine!.idle();
  assert.deepEqual(
    calls.map((c) => c.at.toISOString()),
    ["2026-11-27T12:01:00.000Z", "2026-11-27T12:02:00.000Z", "2026-11-27T12:03:00.000Z", "2026-11-27T12:04:00.000Z"],
  );
  const history = runs(s.id);
  assert.deepEqual(
    history.map((r) => [r.trigger, r.result]),
    Array.from({ length: 4 }, () => ["cron", "ok"]),
  );
  assert.deepEqual(history[0]!.outcomes, [{ hostId: "local", uuid: "00000000-0000-4000-8000-000000000001", name: "web-1", ok: true, message: "started" }]);
  await engine!.stop();
  assert.equal(clock.pending, 0);
});

test("a disabled schedule never fires", async () => {
  const s = await createSchedule(db, admin, input({ enabled: false }), new Date(clock.now()));
  newEngine().start();
  await clock.advance(5 * MINUTE);
  assert.equal(calls.length, 0);
  assert.equal(runs(s.id).length, 0);
});

test("a fire while the schedule's previous run still goes is recorded as skipped with the reason, and no second run starts", async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const s = await createSchedule(db, admin, input(), new Date(clock.now()));
  newEngine(
    withRun(async (ctx) => {
      calls.push({ vm: ctx.vm.name, at: ctx.at });
      await gate;
      return "done";
    }),
  ).start();
  await clock.advance(2 * MINUTE);
  assert.equal(calls.length, 1);
  const [first, second] = runs(s.id);
  assert.equal(first!.result, "running");
  assert.equal(second!.result, "skipped");
  assert.equal(second!.error, 'schedule "nightly": its previous run was still going');
  release();
  await engine!.idle();
  assert.equal(runs(s.id)[0]!.result, "ok");
});

test("at most the per-host limit of VMs are acted on at once (default 2, then the setting), per host", async () => {
  vms = [1, 2, 3, 4, 5].map((n) => fakeVm("local", `web-${n}`, n)).concat([fakeVm("other", "db-1", 6)]);
  const active = new Map<string, number>();
  const peak = new Map<string, number>();
  const waiters: (() => void)[] = [];
  newEngine(
    withRun(async (ctx) => {
      const host = ctx.vm.hostId;
      active.set(host, (active.get(host) ?? 0) + 1);
      peak.set(host, Math.max(peak.get(host) ?? 0, active.get(host)!));
      await new Promise<void>((resolve) => waiters.push(resolve));
      active.set(host, active.get(host)! - 1);
      return "done";
    }),
  );
  const s = await createSchedule(db, admin, input(), new Date(clock.now()));
  const drain = async () => {
    for (let i = 0; i < 10; i++) {
      await clock.advance(0);
      waiters.splice(0).forEach((w) => w());
    }
  };
  const first = engine!.runNow(s.id, "alice");
  await drain();
  await first.done;
  assert.deepEqual(Object.fromEntries(peak), { local: 2, other: 1 });
  writeHostConcurrency(db, 3, new Date());
  peak.clear();
  const second = engine!.runNow(s.id, "alice");
  await drain();
  await second.done;
  assert.equal(peak.get("local"), 3);
});

test("a failing VM fails the run with an error naming the VM and its host; the other VMs still run", async () => {
  vms = [fakeVm("local", "web-1", 1), fakeVm("local", "web-2", 2)];
  const s = await createSchedule(db, admin, input(), new Date(clock.now()));
  newEngine(
    withRun(async (ctx) => {
      if (ctx.vm.name === "web-1") throw new ServiceError(`${ctx.vm.context}: cannot start while it is running`, "conflict");
      return "started";
    }),
  );
  await engine!.runNow(s.id, "alice").done;
  const [run] = runs(s.id);
  assert.equal(run!.result, "failed");
  assert.equal(run!.trigger, "manual");
  assert.equal(run!.byUser, "alice");
  assert.equal(run!.error, 'schedule "nightly": VM "web-1" on host "local": cannot start while it is running');
  assert.deepEqual(
    run!.outcomes.map((o) => [o.name, o.ok]),
    [
      ["web-1", false],
      ["web-2", true],
    ],
  );
});

test("a run whose creator may no longer act fails with that reason and acts on nothing", async () => {
  const bob = await addUser(db, "bob", "operator");
  const s = await createSchedule(db, bob, input(), new Date(clock.now()));
  updateUser(db, bob.id, { role: "viewer" });
  newEngine();
  await engine!.runNow(s.id, "alice").done;
  assert.equal(calls.length, 0);
  const [run] = runs(s.id);
  assert.equal(run!.result, "failed");
  assert.equal(run!.error, 'schedule "nightly": its creator "bob" (role viewer) may no longer manage schedules');
});

for (const policy of ["runOnce", "skip"] as const) {
  test(`fires missed while the engine was stopped: policy "${policy}" ${policy === "runOnce" ? "runs once for the latest" : "records one skipped run"}, then fires go on`, async () => {
    const s = await createSchedule(db, admin, input({ missedPolicy: policy }), new Date(clock.now()));
    newEngine().start();
    await clock.advance(MINUTE);
    await engine!.stop();
    assert.equal(calls.length, 1);
    // Ten fires pass while the manager is down.
    clock.jumpTo(Date.parse("2026-11-27T12:11:30Z"));
    newEngine().start();
    await engine!.idle();
    const after = runs(s.id).slice(1);
    assert.equal(after.length, 1);
    assert.equal(after[0]!.trigger, "catchUp");
    assert.equal(after[0]!.firedFor, "2026-11-27T12:11:00.000Z");
    if (policy === "runOnce") {
      assert.equal(after[0]!.result, "ok");
      assert.deepEqual(
        calls.map((c) => c.at.toISOString()),
        ["2026-11-27T12:01:00.000Z", "2026-11-27T12:11:00.000Z"],
      );
    } else {
      assert.equal(after[0]!.result, "skipped");
      assert.match(after[0]!.error!, /missed while the manager was stopped \(last due 2026-11-27T12:11:00\.000Z\); its policy is to skip/);
      assert.equal(calls.length, 1);
    }
    await clock.advance(MINUTE);
    await engine!.idle();
    assert.equal(calls.at(-1)!.at.toISOString(), "2026-11-27T12:12:00.000Z");
    // A second restart with nothing missed adds no catch-up.
    await engine!.stop();
    const count = runs(s.id).length;
    newEngine().start();
    await engine!.idle();
    assert.equal(runs(s.id).length, count);
  });
}

test("a run left running by an earlier process is closed as failed when the engine starts", async () => {
  const s = await createSchedule(db, admin, input({ enabled: false }), new Date(clock.now()));
  db.insert(scheduleRuns)
    .values({ scheduleId: s.id, trigger: "cron", firedFor: null, startedAt: new Date(T0), result: "running", outcomes: "[]" })
    .run();
  newEngine().start();
  const [run] = runs(s.id);
  assert.equal(run!.result, "failed");
  assert.equal(run!.error, "The manager stopped during this run");
});

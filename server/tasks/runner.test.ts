import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { eq } from "drizzle-orm";
import { tasks } from "../db/schema";
import type { Db } from "../db/client";
import type { ManagerEvent } from "../events/bus";
import { viewFor } from "../events/visibility";
import { addUser, tempDatabase } from "../testing/test-db";
import type { SessionUser } from "../users/service";
import { TASK_LOG_LINES } from "./kinds";
import { openDatabase } from "../db/client";
import { TaskRunner, taskRunner, type TaskSpec } from "./runner";
import { getTask, interruptLeftovers, INTERRUPTED_MESSAGE, listTasks, pruneTasks } from "./store";
import { cancelTask } from "./service";

let db: Db;
let cleanup: () => void;
let clock: number;
let events: ManagerEvent[];
let admin: SessionUser;
let operator: SessionUser;
let runner: TaskRunner;

const noUri = () => undefined;

function newRunner(flushEveryMs = 0): TaskRunner {
  return new TaskRunner({ db, now: () => clock, publish: (e) => events.push(e), flushEveryMs });
}

function volumeSpec(user: SessionUser, overrides: Partial<TaskSpec> = {}): TaskSpec {
  return { kind: "volume.upload", target: { hostId: "local", kind: "volume", name: "images/a.iso" }, user, bytesTotal: 1000, cancellable: true, ...overrides };
}

function row(id: string) {
  return db.select().from(tasks).where(eq(tasks.id, id)).get()!;
}

beforeEach(async () => {
  ({ db, cleanup } = tempDatabase());
  clock = Date.parse("2026-11-27T12:00:00Z");
  events = [];
  admin = await addUser(db, "ada", "admin");
  operator = await addUser(db, "otto", "operator");
  runner = newRunner();
});

afterEach(() => cleanup());

test("a task runs from running to succeeded, with its result stored and each change published", async () => {
  const { id, done } = runner.run(
    volumeSpec(operator),
    async (task) => {
      assert.equal(row(task.id).state, "running");
      task.progress({ bytesDone: 400 });
      return { volume: "a.iso", answer: 42 };
    },
    (answer) => ({ volume: answer.volume }),
  );
  assert.deepEqual(await done, { volume: "a.iso", answer: 42 });
  const view = (await getTask(db, admin, id, noUri))!;
  assert.equal(view.state, "succeeded");
  assert.deepEqual(view.result, { volume: "a.iso" });
  assert.equal(view.progress, 1);
  assert.equal(view.bytesDone, 1000);
  assert.equal(view.username, "otto");
  const seen = events.filter((e) => e.type === "task").map((e) => (e.type === "task" ? [e.task.state, e.task.bytesDone] : null));
  assert.deepEqual(seen, [
    ["running", 0],
    ["running", 400],
    ["succeeded", 1000],
  ]);
});

test("a failing operation ends the task failed with its message, and the caller still sees the error", async () => {
  const { id, done } = runner.run(volumeSpec(operator), async () => {
    throw new Error('volume "a.iso" in pool "images" on host "local": no space left');
  });
  await assert.rejects(done, /no space left/);
  const view = (await getTask(db, admin, id, noUri))!;
  assert.equal(view.state, "failed");
  assert.equal(view.error, 'volume "a.iso" in pool "images" on host "local": no space left');
  assert.ok(view.endedAt);
});

test("progress is bounded: fractions clamped to 0..1, bytes never beyond the total, non-numbers ignored", () => {
  const task = runner.open(volumeSpec(operator));
  task.progress({ fraction: 1.7 });
  assert.equal(row(task.id).progress, 1);
  task.progress({ fraction: -3 });
  assert.equal(row(task.id).progress, 0);
  task.progress({ fraction: Number.NaN });
  assert.equal(row(task.id).progress, 0);
  task.progress({ bytesDone: 5000 });
  assert.equal(row(task.id).bytesDone, 1000);
  assert.equal(row(task.id).progress, 1);
  task.progress({ bytesDone: -20 });
  assert.equal(row(task.id).bytesDone, 0);
  task.progress({ bytesDone: 250.9 });
  assert.equal(row(task.id).bytesDone, 250);
  assert.equal(row(task.id).progress, 0.25);
  task.succeed();
});

test("progress is written at most once per flush interval, and the last value when the task ends", () => {
  const slow = newRunner(1000);
  const task = slow.open(volumeSpec(operator));
  clock += 1000;
  task.progress({ bytesDone: 100 });
  assert.equal(row(task.id).bytesDone, 100);
  clock += 10;
  task.progress({ bytesDone: 200 });
  task.progress({ bytesDone: 300 });
  assert.equal(row(task.id).bytesDone, 100, "not written within the interval");
  task.fail(new Error("stopped"));
  assert.equal(row(task.id).bytesDone, 300, "the last value is written when the task ends");
  assert.equal(row(task.id).state, "failed");
});

test("the log keeps its first lines and its last ones, each line cut to its bound", () => {
  const task = runner.open(volumeSpec(operator));
  for (let i = 0; i < TASK_LOG_LINES + 50; i++) task.log(`line ${i}`);
  task.log("x".repeat(2000));
  task.succeed();
  const log = JSON.parse(row(task.id).log) as { dropped: number; lines: { text: string }[] };
  assert.equal(log.lines.length, TASK_LOG_LINES);
  assert.equal(log.dropped, 51);
  assert.equal(log.lines[0]!.text, "line 0");
  assert.equal(log.lines[TASK_LOG_LINES / 4 - 1]!.text, `line ${TASK_LOG_LINES / 4 - 1}`);
  assert.equal(log.lines.at(-2)!.text, `line ${TASK_LOG_LINES + 49}`);
  assert.equal(log.lines.at(-1)!.text.length, 500);
});

test("a cancel aborts the operation's signal and the task ends cancelled; only the starter or an admin may cancel", async () => {
  const other = await addUser(db, "olga", "operator");
  const { id, done } = runner.run(
    volumeSpec(operator),
    (task) => new Promise((_, reject) => task.signal.addEventListener("abort", () => reject(new Error("cancelled")))),
  );
  await assert.rejects(cancelTask(runner, other, id), (err: Error) => /started by otto; only they or an administrator may cancel it/.test(err.message));
  assert.equal(row(id).state, "running");
  const target: string[] = [];
  await cancelTask(runner, operator, id, (t) => target.push(t));
  await assert.rejects(done, /cancelled/);
  assert.equal(row(id).state, "cancelled");
  assert.deepEqual(target, [`task ${id}`, 'volume "a.iso" in pool "images" on host "local"']);
  await assert.rejects(cancelTask(runner, operator, id), /the task has already ended \(cancelled\)/);

  const second = runner.run(
    volumeSpec(operator),
    (task) => new Promise((_, reject) => task.signal.addEventListener("abort", () => reject(new Error("stopped: nothing was written")))),
  );
  await cancelTask(runner, admin, second.id);
  await assert.rejects(second.done);
  assert.equal(row(second.id).state, "cancelled");
  assert.equal(row(second.id).error, "stopped: nothing was written");
});

test("a task that cannot be stopped refuses a cancel and runs on", async () => {
  let finish!: () => void;
  const { id, done } = runner.run(volumeSpec(operator, { cancellable: false }), () => new Promise<void>((resolve) => (finish = resolve)));
  await assert.rejects(cancelTask(runner, admin, id), /cannot be stopped at this point/);
  finish();
  await done;
  assert.equal(row(id).state, "succeeded");
});

test("after a restart, tasks that were running are marked interrupted; finished ones keep their state", () => {
  const running = runner.open(volumeSpec(operator));
  const finished = runner.open(volumeSpec(operator));
  finished.succeed();
  clock += 60_000;
  newRunner();
  assert.equal(row(running.id).state, "interrupted");
  assert.equal(row(running.id).error, INTERRUPTED_MESSAGE);
  assert.equal(row(running.id).endedAt?.getTime(), clock);
  assert.equal(row(finished.id).state, "succeeded");
  assert.equal(interruptLeftovers(db, clock), 0, "nothing is left running");
});

test("the process's two copies of the database (one per module graph) share one runner: the second never interrupts the first's tasks", () => {
  const other = openDatabase(db.$client.name);
  try {
    const task = taskRunner(db).open(volumeSpec(operator));
    assert.equal(taskRunner(other), taskRunner(db));
    assert.equal(row(task.id).state, "running");
    assert.equal(taskRunner(other).handle(task.id), task, "a cancel through either finds the live task");
    task.succeed();
  } finally {
    other.$client.close();
  }
});

test("pruning deletes finished tasks past their age and beyond the count, never running ones", () => {
  const old = runner.open(volumeSpec(operator));
  old.succeed();
  const running = runner.open(volumeSpec(operator));
  clock += 40 * 24 * 3600_000;
  const recent = [1, 2, 3].map(() => {
    const t = runner.open(volumeSpec(operator));
    clock += 1000;
    t.fail(new Error("x"));
    return t.id;
  });
  assert.equal(pruneTasks(db, clock, { maxAgeMs: 30 * 24 * 3600_000, maxFinished: 2 }), 2);
  const left = db
    .select({ id: tasks.id })
    .from(tasks)
    .all()
    .map((r) => r.id)
    .sort();
  assert.deepEqual(left, [running.id, recent[1]!, recent[2]!].sort());
});

test("tasks are seen as their targets are: VM tasks by the VM's grants, volume tasks by grants that cover the host", async () => {
  const onWeb = await addUser(db, "wendy", "viewer", [{ kind: "name", value: "web-*" }]);
  const onLocal = await addUser(db, "lou", "viewer", [{ kind: "host", value: "local" }]);
  // Every VM by name, but no host as a whole: the host's volumes stay out of sight, as on the storage pages.
  const allNames = await addUser(db, "nina", "viewer", [{ kind: "name", value: "*" }]);
  const uuid = "11111111-2222-3333-4444-555555555555";
  const vmTask = runner.open({ kind: "vm.clone", target: { hostId: "local", kind: "vm", name: "web-1", uuid }, user: admin, detail: "web-2" });
  const dbTask = runner.open({ kind: "vm.clone", target: { hostId: "local", kind: "vm", name: "db-1", uuid: uuid.replace("1111", "9999") }, user: admin });
  const volTask = runner.open(volumeSpec(admin));
  const ids = async (user: SessionUser) => (await listTasks(db, user, { limit: 50 }, noUri)).map((t) => t.id).sort();
  assert.deepEqual(await ids(onWeb), [vmTask.id]);
  assert.deepEqual(await ids(onLocal), [vmTask.id, dbTask.id, volTask.id].sort());
  assert.deepEqual(await ids(allNames), [vmTask.id, dbTask.id].sort());
  assert.equal(await getTask(db, onWeb, volTask.id, noUri), null);
  await assert.rejects(cancelTask(runner, onWeb, volTask.id), /no such task/);
  assert.deepEqual(await ids(admin), [vmTask.id, dbTask.id, volTask.id].sort());
  assert.deepEqual(
    (await listTasks(db, admin, { limit: 50, vm: { hostId: "local", uuid } }, noUri)).map((t) => t.id),
    [vmTask.id],
  );

  const vmEvent = events.find((e) => e.type === "task" && e.task.id === vmTask.id)!;
  const dbEvent = events.find((e) => e.type === "task" && e.task.id === dbTask.id)!;
  const volEvent = events.find((e) => e.type === "task" && e.task.id === volTask.id)!;
  assert.ok(await viewFor(onWeb, vmEvent, noUri));
  assert.equal(await viewFor(onWeb, dbEvent, noUri), null);
  assert.equal(await viewFor(onWeb, volEvent, noUri), null);
  assert.ok(await viewFor(onLocal, volEvent, noUri));
  assert.equal(await viewFor(allNames, volEvent, noUri), null);
});

test("a task that makes a VM names it by UUID once it exists: the VM's task filter finds it and its events carry the UUID", async () => {
  const uuid = "5f0c7d1e-0000-4000-8000-00000000abcd";
  const { id, done } = runner.run(
    { kind: "template.deploy", target: { hostId: "local", kind: "vm", name: "web-9", uuid: null }, user: admin, detail: "base" },
    async (task) => {
      task.madeVm(uuid);
      return { uuid, name: "web-9" };
    },
    (vm) => vm,
  );
  await done;
  assert.equal(row(id).targetUuid, uuid);
  assert.deepEqual(
    (await listTasks(db, admin, { limit: 50, vm: { hostId: "local", uuid } }, noUri)).map((t) => t.id),
    [id],
  );
  const published = events.flatMap((e) => (e.type === "task" && e.task.id === id ? [e.uuid] : []));
  assert.equal(published.at(-1), uuid);
});

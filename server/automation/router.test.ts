import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { desc } from "drizzle-orm";
import { callByPath } from "@/server/api/testing/procedures";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditLog, hosts } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";

let db: Db;
let cleanup: () => void;
let viewer: SessionUser;
let operator: SessionUser;
let narrowWeb: SessionUser;
let narrowDb: SessionUser;

const schedule = (name: string, tag = "web") => ({
  name,
  target: { kind: "tag", tag, hostId: null },
  cron: "0 3 * * *",
  timeZone: "Europe/Berlin",
  action: "start",
});

before(async () => {
  ({ db, cleanup } = tempDatabase());
  viewer = await addUser(db, "vera", "viewer");
  operator = await addUser(db, "otto", "operator");
  narrowWeb = await addUser(db, "wendy", "operator", [{ kind: "tag", value: "web" }]);
  narrowDb = await addUser(db, "nina", "operator", [{ kind: "name", value: "db-*" }]);
});
after(() => cleanup());

const call = (user: SessionUser, path: string, input?: unknown) => callByPath({ db, user, clientIp: "192.0.2.1" }, path, input);

async function refusal(user: SessionUser, path: string, input?: unknown): Promise<{ code: string; field: string | null } | null> {
  try {
    await call(user, path, input);
    return null;
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const field = err.cause && typeof err.cause === "object" && "field" in err.cause ? ((err.cause as { field?: string }).field ?? null) : null;
    return { code: err.code, field };
  }
}

const lastAudit = () => db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1).get()!;

test("a viewer reads schedules but is refused every change on the server, and each refusal is audited", async () => {
  const created = (await call(operator, "schedules.create", schedule("nightly-start"))) as { id: number };
  assert.equal(lastAudit().target, 'schedule "nightly-start"');
  assert.equal(lastAudit().result, "ok");
  const list = (await call(viewer, "schedules.list")) as { name: string }[];
  assert.deepEqual(
    list.map((s) => s.name),
    ["nightly-start"],
  );
  for (const [path, input] of [
    ["schedules.create", schedule("viewer-made")],
    ["schedules.update", { id: created.id, schedule: schedule("nightly-start") }],
    ["schedules.delete", { id: created.id }],
    ["schedules.runNow", { id: created.id }],
  ] as const) {
    assert.equal((await refusal(viewer, path, input))?.code, "FORBIDDEN", path);
    assert.equal(lastAudit().result, "denied", path);
    assert.equal(lastAudit().action, path);
  }
  assert.equal((await refusal(operator, "schedules.setHostConcurrency", { limit: 4 }))?.code, "FORBIDDEN");
});

test("a bad cron expression or time zone is refused with the field it is about; the preview words it as a code", async () => {
  assert.deepEqual(await refusal(operator, "schedules.create", { ...schedule("bad-cron"), cron: "0 25 * * *" }), { code: "BAD_REQUEST", field: "cron" });
  assert.deepEqual(await refusal(operator, "schedules.create", { ...schedule("bad-zone"), timeZone: "Mars/Olympus" }), {
    code: "BAD_REQUEST",
    field: "timeZone",
  });
  assert.deepEqual(await call(viewer, "schedules.preview", { cron: "0 25 * * *", timeZone: "UTC" }), {
    problem: { code: "badField", field: "hour", value: "25" },
    timeZoneValid: true,
    next: [],
  });
  assert.deepEqual(await call(viewer, "schedules.preview", { cron: "0 3 *", timeZone: "UTC" }), {
    problem: { code: "fieldCount", count: 3 },
    timeZoneValid: true,
    next: [],
  });
  const ok = (await call(viewer, "schedules.preview", { cron: "30 2 * * 1", timeZone: "Europe/Berlin" })) as { next: string[] };
  assert.equal(ok.next.length, 5);
  for (const at of ok.next) {
    assert.equal(new Date(at).getUTCDay(), 1);
    // 02:30 in Berlin is 01:30 UTC in winter, 00:30 UTC in summer.
    assert.ok(["01:30", "00:30"].includes(at.slice(11, 16)), at);
  }
});

test("schedules are narrowed by grants: a user sees and creates them only for targets they may act on", async () => {
  await call(operator, "schedules.create", schedule("db-snapshots", "db"));
  assert.deepEqual(
    ((await call(narrowWeb, "schedules.list")) as { name: string }[]).map((s) => s.name),
    ["nightly-start"],
  );
  assert.deepEqual((await call(narrowDb, "schedules.list")) as unknown[], []);
  assert.equal((await refusal(narrowDb, "schedules.create", schedule("db-start", "db")))?.code, "FORBIDDEN");
  const made = (await call(narrowWeb, "schedules.create", schedule("web-start"))) as { id: number; createdByName: string };
  assert.equal(made.createdByName, "wendy");
  const dbSchedule = ((await call(operator, "schedules.list")) as { id: number; name: string }[]).find((s) => s.name === "db-snapshots")!;
  assert.equal((await refusal(narrowWeb, "schedules.delete", { id: dbSchedule.id }))?.code, "NOT_FOUND");
  assert.equal(lastAudit().target, `schedule ${dbSchedule.id}`);
});

test("a schedule's name is used once", async () => {
  assert.deepEqual(await refusal(operator, "schedules.create", schedule("nightly-start")), { code: "CONFLICT", field: "name" });
});

test("a host filter lists the schedules that act on that host: its VMs by host or by a tag there, and tags on every host", async () => {
  // Host targets name hosts that exist; nothing here connects to them.
  db.insert(hosts)
    .values([
      { id: "local", name: "local", uri: "test:///default" },
      { id: "rack-b", name: "rack b", uri: "test:///default" },
    ])
    .run();
  const on = (name: string, target: unknown) => call(operator, "schedules.create", { ...schedule(name), target });
  await on("on-local", { kind: "host", hostId: "local" });
  await on("on-rack-b", { kind: "host", hostId: "rack-b" });
  await on("web-on-rack-b", { kind: "tag", tag: "web", hostId: "rack-b" });
  const names = async (input?: unknown) => ((await call(operator, "schedules.list", input)) as { name: string }[]).map((s) => s.name);
  const everywhere = ["db-snapshots", "nightly-start", "web-start"];
  assert.deepEqual(await names({ hostId: "local" }), [...everywhere, "on-local"].sort());
  assert.deepEqual(await names({ hostId: "rack-b" }), [...everywhere, "on-rack-b", "web-on-rack-b"].sort());
  assert.deepEqual(await names(), [...everywhere, "on-local", "on-rack-b", "web-on-rack-b"].sort());
  assert.equal((await refusal(operator, "schedules.list", { hostId: "Not A Host" }))?.code, "BAD_REQUEST");
});

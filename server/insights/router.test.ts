import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { TRPCError } from "@trpc/server";
import { desc } from "drizzle-orm";
import { callByPath } from "@/server/api/testing/procedures";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditLog } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { computeInsights, type VmInput } from "./rules";
import { saveReport } from "./store";

const WEB = "11111111-1111-4111-8111-111111111111";
const DB1 = "22222222-2222-4222-8222-222222222222";
const NOW = Date.UTC(2026, 10, 20, 12, 30);
const GiB = 1024 ** 3;

let db: Db;
let cleanup: () => void;
let admin: SessionUser;
let viewer: SessionUser;
let narrow: SessionUser;

const vm = (uuid: string, name: string): VmInput => ({
  hostId: "local",
  uuid,
  name,
  running: true,
  vcpus: 2,
  memoryBytes: 8 * GiB,
  history: { since: null, hours: [] },
  agent: null,
  snapshots: { count: 0, newestAt: null },
});

before(async () => {
  ({ db, cleanup } = tempDatabase());
  admin = await addUser(db, "ada", "admin");
  viewer = await addUser(db, "vera", "viewer");
  narrow = await addUser(db, "nina", "operator", [{ kind: "name", value: "db-*" }]);
  // Two VMs without snapshots, and 16 GiB running on a 4 GiB host: one host insight.
  saveReport(db, computeInsights([{ hostId: "local", memoryBytes: 4 * GiB, vms: [vm(WEB, "web-1"), vm(DB1, "db-1")] }], NOW), "schedule");
});
after(() => cleanup());

const call = (user: SessionUser, path: string, input: unknown) => callByPath({ db, user, clientIp: "192.0.2.1" }, path, input);
type Listed = { insights: { kind: string; uuid: string | null }[] } | null;

test("every role reads insights; grants narrow them to the VMs the user may see, and host insights to covered hosts", async () => {
  const all = (await call(viewer, "insights.list", {})) as Listed;
  assert.deepEqual(all!.insights.map((i) => `${i.kind} ${i.uuid ?? "host"}`).sort(), ["host.overcommit host", `vm.noSnapshot ${WEB}`, `vm.noSnapshot ${DB1}`]);
  const narrowed = (await call(narrow, "insights.list", {})) as Listed;
  assert.deepEqual(
    narrowed!.insights.map((i) => `${i.kind} ${i.uuid}`),
    [`vm.noSnapshot ${DB1}`],
  );
  const oneVm = (await call(narrow, "insights.list", { hostId: "local", uuid: WEB })) as Listed;
  assert.deepEqual(oneVm!.insights, [], "asking for a VM outside the grants by its id shows nothing of it");
});

test("a viewer and an operator are refused Recompute on the server; an admin's recomputation is audited", async () => {
  for (const user of [viewer, narrow]) {
    await assert.rejects(
      () => call(user, "insights.recompute", {}),
      (err: unknown) => err instanceof TRPCError && err.code === "FORBIDDEN",
    );
  }
  // This database has no hosts: the recomputation judges nothing and replaces the seeded report.
  const result = (await call(admin, "insights.recompute", {})) as { at: number; insights: number };
  assert.equal(result.insights, 0);
  const listed = (await call(viewer, "insights.list", {})) as { at: number; insights: unknown[] };
  assert.deepEqual([listed.at, listed.insights], [result.at, []]);
  const row = db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(1).get()!;
  assert.deepEqual([row.action, row.target, row.result], ["insights.recompute", "insights", "ok"]);
});

// The list's batch actions (`vms.batch`) against the real libvirtd, through the real router: three
// idle domains (SeaBIOS, no OS; they start and stop in about a second), an operator granted two of
// them by name, a viewer. What is checked is what a user and an auditor rely on: each VM is acted
// on by itself (one failing stops nothing), a VM outside the caller's grants is "not found" and left
// alone, a viewer is refused, and the audit log has one row per VM with its canonical target.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../../server/api/root";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { unwatchAllHosts } from "../../server/events/bus";
import { auditLog } from "../../server/db/schema";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { CANONICAL_TARGET } from "../../server/audit/targets";
import { MAX_BATCH_VMS } from "../../server/domains/batch";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";

const id = randomBytes(3).toString("hex");
const { db, cleanup } = tempDatabase();
type Api = ReturnType<typeof createCaller>;
let admin: Api;
let operator: Api;
let viewer: Api;
let mine: IdleDomain[] = [];
let other: IdleDomain;
const ref = (d: IdleDomain) => ({ hostId: "local", uuid: d.uuid });

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  const as = async (name: string, role: "admin" | "operator" | "viewer", grants: { kind: "host" | "name" | "tag"; value: string }[] = []) =>
    createCaller({ db, user: await addUser(db, name, role, grants), clientIp: "192.0.2.30" });
  admin = await as("ada", "admin");
  operator = await as("otto", "operator", [{ kind: "name", value: `kvmm-test-batch-mine-*-${id}` }]);
  viewer = await as("vera", "viewer");
  mine = [await defineIdleDomain(`kvmm-test-batch-mine-a-${id}`), await defineIdleDomain(`kvmm-test-batch-mine-b-${id}`)];
  other = await defineIdleDomain(`kvmm-test-batch-other-${id}`);
});

after(async () => {
  for (const d of [...mine, other]) await d?.remove();
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

function rowsSince(before: number) {
  return db.select().from(auditLog).all().slice(before);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return err.code;
  }
  assert.fail("expected the call to be refused");
}

test("a viewer is refused the batch as a whole: nothing starts and one 'denied' row is written", async () => {
  const before = db.select().from(auditLog).all().length;
  assert.equal(await refusal(viewer.vms.batch({ vms: mine.map(ref), action: "start" })), "FORBIDDEN");
  for (const d of mine) assert.equal(await d.state(), "shut off");
  const rows = rowsSince(before);
  assert.deepEqual(
    rows.map((r) => [r.username, r.action, r.result]),
    [["vera", "vms.batch", "denied"]],
  );
});

test("an operator starts three VMs, one already running and one outside the grants: each has its own result and audit row", async () => {
  const [a, b] = mine as [IdleDomain, IdleDomain];
  await virsh(["start", a.name]);
  const before = db.select().from(auditLog).all().length;
  const results = await operator.vms.batch({ vms: [ref(a), ref(other), ref(b)], action: "start" });

  assert.deepEqual(
    results.map((r) => [r.uuid, r.name, r.ok]),
    [
      [a.uuid, a.name, false],
      [other.uuid, null, false],
      [b.uuid, b.name, true],
    ],
  );
  assert.match(results[0]!.error!, new RegExp(`^VM "${a.name}" on host "local": .*running`));
  // Not found, in the same words as a VM that does not exist: its name is not given away.
  assert.equal(results[1]!.error, `VM ${other.uuid} on host "local": not found`);
  assert.equal(results[1]!.kind, "not_found");
  assert.equal(results[2]!.state, "running");
  assert.equal(await b.state(), "running");
  assert.equal(await other.state(), "shut off", "the VM outside the grants was not started");

  // The VMs are acted on concurrently, so their rows come in the order they finished.
  const rows = rowsSince(before);
  const byTarget = (x: string[], y: string[]) => x[2]!.localeCompare(y[2]!);
  assert.deepEqual(
    rows.map((r) => [r.username!, r.action, r.target!, r.result]).sort(byTarget),
    [
      ["otto", "vms.batch", `VM "${a.name}" on host "local"`, "error"],
      ["otto", "vms.batch", `VM ${other.uuid} on host "local"`, "error"],
      ["otto", "vms.batch", `VM "${b.name}" on host "local"`, "ok"],
    ].sort(byTarget),
  );
  for (const row of rows) assert.match(row.target!, CANONICAL_TARGET);
  assert.match(rows.find((r) => r.result === "error" && r.target!.includes(a.name))!.error!, /running/);
});

test("force off then snapshot with a generated name: every VM is done, and each snapshot row names the snapshot", async () => {
  const off = await admin.vms.batch({ vms: mine.map(ref), action: "forceOff" });
  assert.deepEqual(
    off.map((r) => [r.name, r.ok, r.state]),
    mine.map((d) => [d.name, true, "shutoff"]),
  );
  const before = db.select().from(auditLog).all().length;
  const snap = await admin.vms.batch({ vms: mine.map(ref), action: "snapshot" });
  assert.ok(
    snap.every((r) => r.ok && /^batch-\d{8}-\d{6}$/.test(r.snapshot ?? "")),
    JSON.stringify(snap),
  );
  for (const d of mine) assert.deepEqual(await d.snapshots(), [snap[0]!.snapshot]);
  assert.deepEqual(
    rowsSince(before)
      .map((r) => r.target)
      .sort(),
    mine.map((d) => `VM "${d.name}" on host "local": snapshot "${snap[0]!.snapshot}"`).sort(),
  );
});

test("more VMs than a batch takes, or an unknown action, are refused before anything is done", async () => {
  const many = Array.from({ length: MAX_BATCH_VMS + 1 }, () => ({ hostId: "local", uuid: randomUUID() }));
  assert.equal(await refusal(admin.vms.batch({ vms: many, action: "start" })), "BAD_REQUEST");
  assert.equal(await refusal(admin.vms.batch({ vms: mine.map(ref), action: "delete" as never })), "BAD_REQUEST");
});

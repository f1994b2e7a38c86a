import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCallerFactory } from "@/server/api/trpc";
import { createCaller } from "@/server/api/root";
import { auditTargets } from "@/server/audit/targets";
import { snapshotsRouter } from "@/server/api/routers/snapshots";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { resolveVm } from "@/server/domains/lookup";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { definePool, deletePool } from "@/server/storage/pools";
import { createVolume, resizeVolume, resolveVolumePath } from "@/server/storage/volumes";
import { ServiceError } from "@/server/errors";
import { attachDisk, detachDisk, type DiskChange } from "@/server/storage/disks";
import { buildDomainXml } from "@/server/domains/xml";
import type { Db } from "@/server/db/client";
import type { SessionUser } from "@/server/users/service";
import { createTestDomain, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { run } from "../fixtures/run";
import { waitFor } from "../fixtures/wait";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { readImageBytes, writeImageBytes } from "../fixtures/disk-bytes";

/**
 * Snapshots against the real libvirtd and QEMU: disk-only snapshots of a stopped VM whose qcow2
 * disk lives in a throwaway pool (a tree made, reverted, pruned; a revert brings back the disk's
 * data), and a disk+memory snapshot of a running TCG test guest that, reverted after the guest was
 * forced off, resumes where it was instead of booting. Snapshots are made, reverted and deleted
 * through the API, each call leaving one audit row that names the snapshot. Everything is named
 * kvmm-test-* and removed in `after`.
 */

const MiB = 1024 * 1024;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-snappool-${id}`;
const POOL_DIR = `/tmp/${POOL}`;
const STOPPED_VM = `kvmm-test-snap-${id}`;
/** A VM with an external snapshot made by virsh; a VM and its linked clone, whose disk is an overlay of that VM's disk. */
const EXTERNAL_VM = `kvmm-test-snapext-${id}`;
const LINKED_BASE_VM = `kvmm-test-snaplink-${id}`;
const CLONE_VM = `kvmm-test-snapclone-${id}`;
const HOSTILE_DESCRIPTION = `before </description><memory snapshot='external'/> & "quotes" 'n' ]]> <![CDATA[`;

const caller = createCallerFactory(snapshotsRouter);
let db: Db;
let cleanupDb: () => void;
let adminUser: SessionUser;
/** A VM as the services take it, resolved as the admin (what vmProcedure does for the API). */
const asAdmin = (vm: { hostId: string; uuid: string }) => resolveVm(resolveHost(db, vm.hostId), adminUser, vm.uuid);
let admin: ReturnType<typeof caller>;
let operator: ReturnType<typeof caller>;
let viewer: ReturnType<typeof caller>;
/** The whole API, for the power action the snapshot story needs. */
let adminApi: ReturnType<typeof createCaller>;
let stoppedUuid: string;
let guest: TestDomain | undefined;
let disk: DiskChange | undefined;

async function defineStoppedVm(diskPath: string, name = STOPPED_VM): Promise<string> {
  const xml = buildDomainXml({
    name,
    domainType: "qemu",
    vcpus: 1,
    memoryMiB: 64,
    firmware: "bios",
    secureBoot: false,
    disks: [{ path: diskPath, format: "qcow2", bus: "virtio", device: "disk" }],
    nics: [],
    graphics: "none",
    tpm: false,
    tags: [],
  });
  const dir = await mkdtemp("/tmp/kvmm-test-xml-");
  try {
    await writeFile(`${dir}/vm.xml`, xml);
    await virsh(["define", `${dir}/vm.xml`], { timeoutMs: 120_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return virsh(["domuuid", name]);
}

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  adminUser = await addUser(db, "ada", "admin");
  admin = caller({ db, user: adminUser, clientIp: "192.0.2.10" });
  operator = caller({ db, user: await addUser(db, "otto", "operator"), clientIp: "192.0.2.12" });
  viewer = caller({ db, user: await addUser(db, "vic", "viewer"), clientIp: "192.0.2.11" });
  adminApi = createCaller({ db, user: adminUser, clientIp: "192.0.2.10" });
  await definePool(resolveHost(db, "local"), { type: "dir", name: POOL, path: POOL_DIR }, { build: true, start: true });
  for (const name of ["stopped.qcow2", "running.qcow2"]) await createVolume(resolveHost(db, "local"), POOL, { name, format: "qcow2", capacityBytes: 16 * MiB });
  await createVolume(resolveHost(db, "local"), POOL, { name: "plain.raw", format: "raw", capacityBytes: MiB });
  stoppedUuid = await defineStoppedVm(await resolveVolumePath(resolveHost(db, "local"), POOL, "stopped.qcow2"));
});

after(async () => {
  // Snapshot metadata would block undefining; the qcow2 files holding the snapshots go with the pool.
  for (const name of [STOPPED_VM, EXTERNAL_VM, LINKED_BASE_VM, CLONE_VM, guest?.name].filter((n): n is string => Boolean(n))) {
    await virsh(["destroy", name]).catch(() => undefined);
    await virsh(["undefine", "--snapshots-metadata", name]).catch(() => undefined);
  }
  await guest?.destroy().catch(() => undefined);
  await deletePool(resolveHost(db, "local"), POOL).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb();
});

async function trpcError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail("expected the call to fail");
}

/** The audit target of a snapshot of a VM, as the snapshot procedures write it. */
const snapshotTarget = (vmName: string, snapshot: string) => auditTargets.inVm(auditTargets.vm("local", vmName), `snapshot "${snapshot}"`);

test("disk-only snapshots of a stopped VM form a tree that can be pruned, and reverting brings back the disk's data", async () => {
  const vm = { hostId: "local", uuid: stoppedUuid };
  const mark = auditMark(db);
  const path = await resolveVolumePath(resolveHost(db, "local"), POOL, "stopped.qcow2");
  // Random data on the disk when s1 is taken, and other data written over it afterwards.
  const atS1 = randomBytes(64 * 1024);
  const afterS1 = randomBytes(atS1.length);
  await writeImageBytes(path, "qcow2", MiB, atS1);
  // libvirt keeps whole seconds: the snapshot's time lies between the second the call began and its end.
  const asked = Math.floor(Date.now() / 1000) * 1000;
  const s1 = await operator.create({ ...vm, name: "s1", description: HOSTILE_DESCRIPTION });
  const answered = Date.now();
  assert.equal(s1.name, "s1");
  assert.equal(s1.description, HOSTILE_DESCRIPTION, "the description is kept as text, markup and all");
  assert.equal(s1.state, "shutoff");
  assert.equal(s1.memory, "no");
  assert.equal(s1.location, "internal");
  assert.equal(s1.parent, null);
  assert.equal(s1.current, true);
  const createdAt = Date.parse(s1.createdAt ?? "");
  assert.ok(createdAt >= asked && createdAt <= answered, `creation time ${s1.createdAt}, asked at ${new Date(asked).toISOString()}`);

  await writeImageBytes(path, "qcow2", MiB, afterS1);
  const s2 = await admin.create({ ...vm, name: "s2" });
  assert.equal(s2.parent, "s1");
  // The snapshots really are inside the qcow2 file, not only in libvirt's metadata.
  const { stdout } = await run("qemu-img", ["snapshot", "-l", "-U", path]);
  assert.match(stdout, /\ss1\s/);
  assert.match(stdout, /\ss2\s/);

  await admin.revert({ ...vm, snapshot: "s1" });
  const afterRevert = await viewer.list(vm);
  assert.equal(afterRevert.current, "s1");
  assert.ok((await readImageBytes(path, "qcow2", MiB, atS1.length)).equals(atS1), "the data written after s1 is gone, s1's is back");
  await admin.create({ ...vm, name: "s3" });
  const tree = await viewer.list(vm);
  assert.deepEqual(
    tree.snapshots.map((s) => [s.name, s.parent, s.depth, s.children]),
    [
      ["s1", null, 0, ["s2", "s3"]],
      ["s2", "s1", 1, []],
      ["s3", "s1", 1, []],
    ],
  );
  assert.equal(tree.current, "s3");

  assert.deepEqual(await admin.delete({ ...vm, snapshot: "s1" }), { deleted: ["s1"] });
  const pruned = await viewer.list(vm);
  assert.deepEqual(
    pruned.snapshots.map((s) => [s.name, s.parent]),
    [
      ["s2", null],
      ["s3", null],
    ],
    "children of a deleted snapshot move up",
  );

  await admin.create({ ...vm, name: "s4" });
  assert.deepEqual(await admin.delete({ ...vm, snapshot: "s3", children: true }), { deleted: ["s3", "s4"] });
  assert.deepEqual(
    (await viewer.list(vm)).snapshots.map((s) => s.name),
    ["s2"],
  );
  await admin.delete({ ...vm, snapshot: "s2" });
  assert.deepEqual(await viewer.list(vm), { current: null, snapshots: [] });
  assertAuditedSince(
    db,
    mark,
    (
      [
        ["create", "s1"],
        ["create", "s2"],
        ["revert", "s1"],
        ["create", "s3"],
        ["delete", "s1"],
        ["create", "s4"],
        ["delete", "s3"],
        ["delete", "s2"],
      ] as const
    ).map(([action, snapshot]) => ({ action, target: snapshotTarget(STOPPED_VM, snapshot) })),
  );
});

test("snapshot errors: memory of a stopped VM, a raw disk, a taken name, unknown names, hostile names, viewers", async () => {
  const vm = { hostId: "local", uuid: stoppedUuid };
  const memory = await trpcError(admin.create({ ...vm, name: "mem", memory: true }));
  assert.equal(memory.code, "BAD_REQUEST");
  assert.match(memory.message, new RegExp(`^VM "${STOPPED_VM}" on host "local": snapshot "mem": the VM is not running`));

  const raw = await attachDisk(await asAdmin(vm), adminUser, { pool: POOL, volume: "plain.raw", bus: "virtio" });
  try {
    const refused = await trpcError(admin.create({ ...vm, name: "with-raw" }));
    assert.equal(refused.code, "BAD_REQUEST");
    assert.match(refused.message, new RegExp(`snapshots are kept inside qcow2 disks, and ${raw.target} \\(raw\\) is not qcow2$`));
  } finally {
    await detachDisk(await asAdmin(vm), raw.target);
  }

  await admin.create({ ...vm, name: "taken" });
  const taken = await trpcError(admin.create({ ...vm, name: "taken" }));
  assert.equal(taken.code, "CONFLICT");
  await admin.delete({ ...vm, snapshot: "taken" });

  const missing = await trpcError(admin.revert({ ...vm, snapshot: "kvmm-test-no-such-snap" }));
  assert.equal(missing.code, "NOT_FOUND");
  assert.match(missing.message, new RegExp(`^VM "${STOPPED_VM}" on host "local": snapshot "kvmm-test-no-such-snap": libvirt: .*kvmm-test-no-such-snap`));
  const noVm = await trpcError(admin.list({ hostId: "local", uuid: "00000000-0000-4000-8000-00000000f00d" }));
  assert.equal(noVm.code, "NOT_FOUND");
  assert.match(noVm.message, /VM 00000000-0000-4000-8000-00000000f00d on host "local"/);

  for (const hostile of ["x'/><memory/>", "a&b", "]]>", "../s", "", "-s"]) {
    assert.equal((await trpcError(admin.create({ ...vm, name: hostile }))).code, "BAD_REQUEST", hostile);
    assert.equal((await trpcError(admin.delete({ ...vm, snapshot: hostile }))).code, "BAD_REQUEST", hostile);
  }
  assert.equal((await trpcError(viewer.create({ ...vm, name: "nope" }))).code, "FORBIDDEN");
  assert.equal((await trpcError(viewer.revert({ ...vm, snapshot: "nope" }))).code, "FORBIDDEN");
});

// Prints a counter on the serial console every second: after a memory revert it goes on from
// where it was; a fresh boot would start again at 0 after the kernel's banner.
const TICKS_HOOK = `#!/bin/sh
( i=0; while :; do echo "kvmm-tick $i"; i=$((i+1)); sleep 1; done ) &
`;
const TICK = /kvmm-tick (\d+)/g;

function ticks(log: string): number[] {
  return [...log.matchAll(TICK)].map((m) => Number(m[1]));
}

test("a running guest's disk+memory snapshot: after the guest is forced off, reverting resumes it where it was", { timeout: 300_000 }, async () => {
  guest = await createTestDomain({ label: "snapmem", overlay: { initScripts: [{ name: "60-ticks", script: TICKS_HOOK }] } });
  await guest.waitForReady();
  const vm = { hostId: "local", uuid: guest.uuid };
  const mark = auditMark(db);

  // Internal memory snapshots need a qcow2 disk to hold the memory: hot-plug one.
  disk = await attachDisk(await asAdmin(vm), adminUser, { pool: POOL, volume: "running.qcow2", bus: "virtio" });
  assert.equal(disk.live, true);
  assert.equal(disk.persistent, true);
  // A disk in use grows through the VM, so QEMU sees the new size at once; shrinking it is refused.
  await resizeVolume(resolveHost(db, "local"), POOL, "running.qcow2", 32 * MiB);
  assert.match(await virsh(["domblkinfo", guest.name, disk.target]), /Capacity:\s+33554432/);
  await assert.rejects(
    resizeVolume(resolveHost(db, "local"), POOL, "running.qcow2", 8 * MiB, { allowShrink: true }),
    (err: unknown) => err instanceof ServiceError && err.kind === "conflict" && err.message.includes(`running VM "${guest!.name}" uses it as ${disk!.target}`),
  );

  await waitFor(async () => ticks(await guest!.serialLog()).some((t) => t >= 2), { timeoutMs: 60_000, what: "the guest's tick counter" });
  const before = Math.max(...ticks(await guest.serialLog()));
  const snap = await operator.create({ ...vm, name: "live-1", description: "with memory", memory: true });
  assert.equal(snap.state, "running");
  assert.equal(snap.memory, "internal");
  assert.equal(snap.location, "internal");
  // It ran as a task (server/tasks/): on the VM, succeeded, naming the snapshot it made.
  const task = await adminApi.tasks.get({ id: snap.taskId! });
  assert.deepEqual(
    [task.kind, task.state, task.targetUuid, task.detail, task.result],
    ["snapshot.memory", "succeeded", guest.uuid, "live-1", { snapshot: "live-1" }],
  );
  const taken = Math.max(...ticks(await guest.serialLog()));
  // Let the guest run on, so there is a future that the revert must discard.
  await waitFor(async () => Math.max(...ticks(await guest!.serialLog())) >= taken + 3, { timeoutMs: 60_000, what: "the ticks to go on after the snapshot" });
  const later = Math.max(...ticks(await guest.serialLog()));

  assert.deepEqual(await adminApi.vms.power({ ...vm, action: "forceOff" }), { state: "shutoff" });
  assert.equal(await guest.state(), "shut off");

  const oldLength = (await guest.serialLog()).length;
  assert.deepEqual(await admin.revert({ ...vm, snapshot: "live-1" }), { state: "running" });
  // A new QEMU process writes the serial log afresh (or appends, depending on the log handler).
  const fresh = async () => {
    const log = await guest!.serialLog();
    return log.length < oldLength ? log : log.slice(oldLength);
  };
  const resumed = await waitFor(async () => ticks(await fresh()).length > 0 && ticks(await fresh()), {
    timeoutMs: 60_000,
    what: "ticks after the revert",
    describe: async () => (await fresh()).slice(-2000),
  });
  assert.ok(
    resumed[0]! >= before && resumed[0]! <= taken + 1,
    `resumed at tick ${resumed[0]}, snapshot taken between ticks ${before} and ${taken}, killed at ${later}`,
  );
  assert.doesNotMatch(await fresh(), /Linux version/, "no boot after the revert");

  await admin.delete({ ...vm, snapshot: "live-1" });
  assert.deepEqual((await viewer.list(vm)).snapshots, []);
  assertAuditedSince(db, mark, [
    { action: "create", target: snapshotTarget(guest.name, "live-1") },
    { action: "vms.power", target: auditTargets.vm("local", guest.name) },
    { action: "revert", target: snapshotTarget(guest.name, "live-1") },
    { action: "delete", target: snapshotTarget(guest.name, "live-1") },
  ]);
});

test("a running guest's disk-only snapshot is refused with what to do instead, and no overlay file is made; then the disk is hot-unplugged", async () => {
  assert.ok(guest && disk, "needs the running guest and its hot-plugged disk from the test before");
  const { target, path } = disk;
  const vm = { hostId: "local", uuid: guest.uuid };
  const mark = auditMark(db);
  const filesBefore = (await readdir(POOL_DIR)).sort();
  // It would be an external overlay, which libvirt 9.0 can neither revert nor delete.
  const refused = await trpcError(admin.create({ ...vm, name: "ext-1" }));
  assert.equal(refused.code, "BAD_REQUEST");
  assert.equal(
    refused.message,
    `VM "${guest.name}" on host "local": snapshot "ext-1": a disk-only snapshot of a running VM would be an external overlay that cannot be reverted or deleted; shut the VM down for a disk-only snapshot, or take a disk+memory snapshot`,
  );
  assert.deepEqual((await readdir(POOL_DIR)).sort(), filesBefore, "no overlay file was made");
  assert.match(await virsh(["domblklist", guest.name]), new RegExp(`${target}\\s+${path}`), "the disk still reads its own file");
  assert.deepEqual((await viewer.list(vm)).snapshots, []);
  assertAuditedSince(db, mark, [{ action: "create", target: snapshotTarget(guest.name, "ext-1"), result: "invalid" }]);

  // Hot-unplug: the guest releases the disk (ACPI), and the saved definition loses it too.
  const detached = await detachDisk(await asAdmin(vm), target);
  assert.equal(detached.live, true);
  assert.equal(detached.persistent, true);
  if (detached.pending) {
    await waitFor(async () => !(await virsh(["domblklist", guest!.name])).includes(target), { timeoutMs: 30_000, what: "the guest to release the disk" });
  }
  assert.doesNotMatch(await virsh(["domblklist", guest.name]), /vda/);
  assert.doesNotMatch(await virsh(["domblklist", "--inactive", guest.name]), /vda/);
});

test("a VM with an external snapshot made by virsh, deleted with its storage, leaves no file behind; a disk another VM reads as its backing file stays", async () => {
  const host = resolveHost(db, "local");
  const files = async (prefix: string) => (await readdir(POOL_DIR)).filter((f) => f.startsWith(prefix)).sort();

  await createVolume(host, POOL, { name: "ext-base.qcow2", format: "qcow2", capacityBytes: 16 * MiB });
  const basePath = `${POOL_DIR}/ext-base.qcow2`;
  const extUuid = await defineStoppedVm(basePath, EXTERNAL_VM);
  // Running in SeaBIOS (nothing to boot) is enough for QEMU to take an external snapshot.
  await virsh(["start", EXTERNAL_VM]);
  await virsh(["snapshot-create-as", EXTERNAL_VM, "outside", "--disk-only", "--atomic"]);
  const overlay = `${POOL_DIR}/ext-base.outside`;
  assert.match(await virsh(["domblklist", EXTERNAL_VM]), new RegExp(`vda\\s+${overlay}`));
  assert.deepEqual(await files("ext-"), ["ext-base.outside", "ext-base.qcow2"]);

  const mark = auditMark(db);
  const deleted = await adminApi.vms.delete({ hostId: "local", uuid: extUuid, confirmName: EXTERNAL_VM, deleteStorage: true });
  assert.deepEqual(deleted, { deletedVolumes: [overlay, basePath], keptFiles: [] });
  assert.deepEqual(await files("ext-"), [], "the overlay and the disk under it are gone");
  await assert.rejects(virsh(["dominfo", EXTERNAL_VM]), /failed to get domain/, "the VM and its snapshot metadata are gone");

  // A linked clone: its disk is an overlay whose backing file is the first VM's disk.
  await createVolume(host, POOL, { name: "link-base.qcow2", format: "qcow2", capacityBytes: 16 * MiB });
  const linkBase = `${POOL_DIR}/link-base.qcow2`;
  const linkClone = `${POOL_DIR}/link-clone.qcow2`;
  const baseUuid = await defineStoppedVm(linkBase, LINKED_BASE_VM);
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", linkBase, "-F", "qcow2", linkClone]);
  const cloneUuid = await defineStoppedVm(linkClone, CLONE_VM);
  assert.deepEqual(await adminApi.vms.delete({ hostId: "local", uuid: baseUuid, confirmName: LINKED_BASE_VM, deleteStorage: true }), {
    deletedVolumes: [],
    keptFiles: [],
  });
  assert.deepEqual(await files("link-"), ["link-base.qcow2", "link-clone.qcow2"], "the clone still reads the first VM's disk");
  assert.deepEqual(await adminApi.vms.delete({ hostId: "local", uuid: cloneUuid, confirmName: CLONE_VM, deleteStorage: true }), {
    deletedVolumes: [linkClone],
    keptFiles: [],
  });
  assert.deepEqual(await files("link-"), ["link-base.qcow2"], "a base the clone's snapshots did not make is not the clone's to delete");
  assertAuditedSince(db, mark, [
    { action: "vms.delete", target: auditTargets.vm("local", EXTERNAL_VM) },
    { action: "vms.delete", target: auditTargets.vm("local", LINKED_BASE_VM) },
    { action: "vms.delete", target: auditTargets.vm("local", CLONE_VM) },
  ]);
});

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { deletePool } from "@/server/storage/pools";
import { parseBootOrder, parseDiskDevices } from "@/server/storage/disk-edits";
import { auditTargets } from "@/server/audit/targets";
import { startGuestHub, stopGuestHub, type GuestHub } from "@/server/guest";
import { bootAgentGuest } from "@/server/guest/testing/agent-guest";
import type { Db } from "@/server/db/client";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * The VM's Disks tab against the real libvirtd and a running test guest with our agent (issue 10,
 * item 5): a new volume attached live shows up in the guest's /sys/block, grows there, and goes
 * away on detach; a failed attach leaves no volume behind; an ISO is inserted and ejected live
 * (proved in libvirt's live and saved XML: the test guest has no CD-ROM driver); the boot order is
 * written to the saved definition. Everything is named kvmm-test-* and removed in `after`.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SECTOR = 512;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-disks-${id}`;
const POOL_DIR = `/tmp/${POOL}`;
const HOST = "local";

let db: Db;
let cleanupDb: () => void;
let admin: ReturnType<typeof createCaller>;
let operator: ReturnType<typeof createCaller>;
let guest: TestDomain;
let hub: GuestHub;
let idle: IdleDomain | undefined;

const vm = () => ({ hostId: HOST, uuid: guest.uuid });
const vmTarget = () => auditTargets.vm(HOST, guest.name);

/** Runs a command in the guest through our agent's hub directly, so the looks inside write no audit rows of their own. */
async function inGuest(command: string, args: string[]): Promise<string> {
  const result = await hub.call(HOST, guest.uuid, "exec_command", { command, args, timeout_ms: 10_000 });
  assert.equal(result.exit_code, 0, `${command} ${args.join(" ")} in the guest: ${result.stderr}`);
  return result.stdout.trim();
}

/** The guest kernel's block devices, as /sys/block lists them. */
async function guestBlockDevices(): Promise<string[]> {
  return (await inGuest("ls", ["/sys/block"])).split(/\s+/).filter(Boolean);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function trpcError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail("expected the call to fail");
}

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.10" });
  operator = createCaller({ db, user: await addUser(db, "otto", "operator"), clientIp: "192.0.2.11" });
  await admin.storage.definePool({ hostId: HOST, spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
  ({ guest } = await bootAgentGuest({ label: "disks", cdrom: true }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  await guest.waitForReady(120_000);
  // A probe that throws counts as "not yet"; its last error is reported if the agent never answers.
  await waitFor(() => inGuest("true", []).then(() => true), {
    timeoutMs: 120_000,
    intervalMs: 500,
    what: "the agent in the guest to answer",
    describe: async () =>
      `hub status: ${JSON.stringify(hub.status(HOST, guest.uuid)?.agent ?? null)}\n${(await guest.serialLog()).split("\n").slice(-15).join("\n")}`,
  });
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy().catch(() => undefined);
  await idle?.remove();
  await deletePool(resolveHost(db, HOST), POOL, { deleteData: true, deleteVolumes: true }).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb();
});

test("a new 1 GiB volume attached to the running guest appears in its /sys/block, grows there, cannot shrink, and is gone after detaching", async () => {
  const mark = auditMark(db);
  assert.deepEqual(
    (await guestBlockDevices()).filter((d) => d.startsWith("vd")),
    [],
    "the guest starts with no virtio disk",
  );

  const attached = await admin.storage.attachNewDisk({ ...vm(), pool: POOL, name: "data.qcow2", format: "qcow2", capacityBytes: GiB, bus: "virtio" });
  assert.deepEqual(attached, { target: "vda", path: `${POOL_DIR}/data.qcow2`, live: true, persistent: true, pool: POOL, volume: "data.qcow2" });
  const sectors = () => inGuest("cat", ["/sys/block/vda/size"]).catch(() => null);
  await waitFor(async () => ((await sectors()) === String(GiB / SECTOR) ? true : null), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: "vda of 1 GiB in the guest",
  });

  const listed = (await admin.storage.vmDisks(vm())).disks.find((d) => d.target === "vda");
  assert.deepEqual(listed && { volume: listed.volume, capacityBytes: listed.capacityBytes, format: listed.format, bus: listed.bus, device: listed.device }, {
    volume: { pool: POOL, volume: "data.qcow2" },
    capacityBytes: GiB,
    format: "qcow2",
    bus: "virtio",
    device: "disk",
  });

  const grown = await admin.storage.growDisk({ ...vm(), target: "vda", capacityBytes: 2 * GiB });
  assert.deepEqual(grown, { target: "vda", previousBytes: GiB, capacityBytes: 2 * GiB, live: true });
  await waitFor(async () => ((await sectors()) === String((2 * GiB) / SECTOR) ? true : null), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: "vda of 2 GiB in the guest",
  });

  const shrink = await trpcError(admin.storage.growDisk({ ...vm(), target: "vda", capacityBytes: GiB }));
  assert.equal(shrink.code, "BAD_REQUEST");
  assert.equal(
    shrink.message,
    `${vmTarget()}: disk vda is 2.0 GiB; it can only grow, and 1.0 GiB would shrink it and cut off what the guest keeps past that point`,
  );
  assert.equal(await sectors(), String((2 * GiB) / SECTOR), "the refused shrink changed nothing");

  const detached = await admin.storage.detachDisk({ ...vm(), target: "vda" });
  assert.equal(detached.live && detached.persistent, true);
  await waitFor(async () => (!(await guestBlockDevices()).includes("vda") ? true : null), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: "vda gone from the guest",
  });
  assert.deepEqual(
    parseDiskDevices(await virsh(["dumpxml", "--inactive", guest.name])).map((d) => d.target),
    ["sda"],
    "gone from the saved definition too",
  );

  assertAuditedSince(db, mark, [
    { action: "storage.attachNewDisk", target: auditTargets.inVm(vmTarget(), `new volume "data.qcow2" of pool "${POOL}"`) },
    { action: "storage.growDisk", target: auditTargets.inVm(vmTarget(), "disk vda") },
    { action: "storage.growDisk", target: auditTargets.inVm(vmTarget(), "disk vda"), result: "invalid" },
    { action: "storage.detachDisk", target: auditTargets.inVm(vmTarget(), "disk vda") },
  ]);
});

test("when attaching the new volume fails, the volume is removed again and an operator may not attach at all", async () => {
  // QEMU cannot hot-plug a SATA disk, so libvirt refuses it for the running guest after the volume exists.
  const refused = await trpcError(admin.storage.attachNewDisk({ ...vm(), pool: POOL, name: "sata.qcow2", format: "qcow2", capacityBytes: GiB, bus: "sata" }));
  assert.match(refused.message, new RegExp(`^${escapeRegExp(vmTarget())}: .*sata`, "i"));
  const volumes = (await admin.storage.volumes({ hostId: HOST, pool: POOL })).map((v) => v.name);
  assert.ok(!volumes.includes("sata.qcow2"), `no sata.qcow2 left behind in ${volumes.join(", ")}`);

  const forbidden = await trpcError(operator.storage.attachNewDisk({ ...vm(), pool: POOL, name: "op.qcow2", capacityBytes: GiB }));
  assert.equal(forbidden.code, "FORBIDDEN");
});

test("an ISO is inserted into the running guest's CD-ROM drive and ejected, in the running VM and its saved definition", async () => {
  const iso = await admin.storage.createVolume({ hostId: HOST, pool: POOL, name: "kvmm-test-media.iso", format: "raw", capacityBytes: MiB });
  const drive = async (flags: string[]) => parseDiskDevices(await virsh(["dumpxml", ...flags, guest.name])).find((d) => d.target === "sda");

  const inserted = await admin.storage.changeMedia({ ...vm(), target: "sda", media: { pool: POOL, volume: "kvmm-test-media.iso" } });
  assert.deepEqual(inserted, { target: "sda", path: iso.path, live: true, persistent: true });
  assert.equal((await drive([]))?.path, iso.path, "the running VM reads the ISO");
  assert.equal((await drive(["--inactive"]))?.path, iso.path, "and keeps it after a restart");
  const listed = (await admin.storage.vmDisks(vm())).disks.find((d) => d.target === "sda");
  assert.deepEqual(listed && { device: listed.device, volume: listed.volume, capacityBytes: listed.capacityBytes }, {
    device: "cdrom",
    volume: { pool: POOL, volume: "kvmm-test-media.iso" },
    capacityBytes: MiB,
  });

  const ejected = await admin.storage.changeMedia({ ...vm(), target: "sda", media: null });
  assert.deepEqual(ejected, { target: "sda", path: "", live: true, persistent: true });
  assert.equal((await drive([]))?.path, null, "the running VM's drive is empty");
  assert.equal((await drive(["--inactive"]))?.path, null, "and stays empty after a restart");
});

test("the boot order is written to the saved definition as per-device boot elements, from the next start", async () => {
  const mark = auditMark(db);
  const changed = await admin.storage.setBootOrder({ ...vm(), order: [{ kind: "disk", target: "sda" }] });
  assert.deepEqual(changed, { order: [{ kind: "disk", target: "sda" }], nextStart: true });
  const saved = await virsh(["dumpxml", "--inactive", guest.name]);
  assert.deepEqual(parseBootOrder(saved), { style: "devices", order: [{ kind: "disk", target: "sda" }] });
  assert.deepEqual((await admin.storage.vmDisks(vm())).boot, { style: "devices", order: [{ kind: "disk", target: "sda" }] });
  const missing = await trpcError(admin.storage.setBootOrder({ ...vm(), order: [{ kind: "disk", target: "vdq" }] }));
  assert.equal(missing.message, `${vmTarget()}: has no disk vdq`);
  assertAuditedSince(db, mark, [
    { action: "storage.setBootOrder", target: vmTarget() },
    { action: "storage.setBootOrder", target: vmTarget(), result: "invalid" },
  ]);
});

test("a stopped VM's disks have sizes; a pool volume attached to it grows in its pool, from the next start; a file outside the pools grows only while it runs", async () => {
  idle = await defineIdleDomain(`kvmm-test-disks-idle-${id}`);
  const stopped = { hostId: HOST, uuid: idle.uuid };
  const stoppedTarget = auditTargets.vm(HOST, idle.name);
  await admin.storage.createVolume({ hostId: HOST, pool: POOL, name: "stopped.qcow2", format: "qcow2", capacityBytes: 64 * MiB });
  const attached = await admin.storage.attachDisk({ ...stopped, pool: POOL, volume: "stopped.qcow2" });
  assert.deepEqual(attached, { target: "vdb", path: `${POOL_DIR}/stopped.qcow2`, live: false, persistent: true });

  const listed = await admin.storage.vmDisks(stopped);
  assert.equal(listed.running, false);
  assert.deepEqual(
    listed.disks.map((d) => ({ target: d.target, volume: d.volume, capacityBytes: d.capacityBytes })),
    [
      { target: "vda", volume: null, capacityBytes: 16 * MiB },
      { target: "vdb", volume: { pool: POOL, volume: "stopped.qcow2" }, capacityBytes: 64 * MiB },
    ],
  );

  const grown = await admin.storage.growDisk({ ...stopped, target: "vdb", capacityBytes: 128 * MiB });
  assert.deepEqual(grown, { target: "vdb", previousBytes: 64 * MiB, capacityBytes: 128 * MiB, live: false });
  assert.equal((await admin.storage.volume({ hostId: HOST, pool: POOL, volume: "stopped.qcow2" })).capacityBytes, 128 * MiB);

  const outside = await trpcError(admin.storage.growDisk({ ...stopped, target: "vda", capacityBytes: 32 * MiB }));
  assert.equal(outside.code, "BAD_REQUEST");
  assert.match(
    outside.message,
    new RegExp(`^${escapeRegExp(stoppedTarget)}: disk vda \\(.+disk\\.qcow2\\) is in no storage pool, so it can grow only while the VM runs$`),
  );

  const boot = await admin.storage.setBootOrder({
    ...stopped,
    order: [
      { kind: "disk", target: "vdb" },
      { kind: "disk", target: "vda" },
    ],
  });
  assert.equal(boot.nextStart, false, "a stopped VM boots this way at its next start anyway");
  assert.deepEqual((await admin.storage.vmDisks(stopped)).boot.order, [
    { kind: "disk", target: "vdb" },
    { kind: "disk", target: "vda" },
  ]);
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { deletePool } from "@/server/storage/pools";
import { formatSize } from "@/server/storage/sizes";
import { buildDomainXml } from "@/server/domains/xml";
import type { Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { createTestDomain, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";
import { run } from "../fixtures/run";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * Storage that VMs use, against the real libvirtd (issue 16, bugs 3, 5 and 7): a volume list that
 * says which VMs read each volume (as a disk or a backing file); deleting an attached volume refused
 * unless the VM's name is typed, then detached and deleted; a VM page naming a disk file that is
 * gone; deleting a pool with its directory checked before anything stops; sizes beyond the pool's
 * free space allowed thin and refused preallocated. Everything is named kvmm-test-* and removed in `after`.
 */

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-inuse-${id}`;
const POOL_DIR = `/tmp/${POOL}`;
const VM = `kvmm-test-inuse-vm-${id}`;
const CLONE = `kvmm-test-inuse-clone-${id}`;
const volumeTarget = (volume: string) => auditTargets.volume("local", POOL, volume);

let db: Db;
let cleanupDb: () => void;
let admin: ReturnType<typeof createCaller>;
let guest: TestDomain | undefined;

async function defineVm(name: string, diskPath: string): Promise<string> {
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
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.10" });
  await admin.storage.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
});

after(async () => {
  await guest?.destroy().catch(() => undefined);
  for (const name of [VM, CLONE]) await virsh(["undefine", name]).catch(() => undefined);
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

test("a volume larger than the pool's free space is created thin, and refused preallocated in words naming the free space", async () => {
  const { availableBytes } = (await admin.storage.pool({ hostId: "local", pool: POOL })) as { availableBytes: number };
  const tooBig = Math.ceil((availableBytes + 8 * GiB) / GiB) * GiB;
  const refused = await trpcError(
    admin.storage.createVolume({ hostId: "local", pool: POOL, name: "big.raw", format: "raw", capacityBytes: tooBig, preallocate: true }),
  );
  assert.equal(refused.code, "BAD_REQUEST");
  // The free space moves a little while other tests write: the message names what the pool said then.
  assert.match(
    refused.message,
    new RegExp(
      `^volume "big.raw" in pool "${POOL}" on host "local": ${formatSize(tooBig)} does not fit: pool "${POOL}" has \\d+(\\.\\d)? GiB free, and a preallocated volume takes its whole size at once$`,
    ),
  );
  assert.equal(existsSync(`${POOL_DIR}/big.raw`), false, "nothing was written");

  for (const [name, format] of [
    ["big.qcow2", "qcow2"],
    ["big.raw", "raw"],
  ] as const) {
    const thin = await admin.storage.createVolume({ hostId: "local", pool: POOL, name, format, capacityBytes: tooBig });
    assert.equal(thin.capacityBytes, tooBig);
    assert.ok(thin.allocationBytes < 16 * MiB, `${name} is thin: ${thin.allocationBytes} bytes allocated`);
    await admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: name });
  }
  const small = await admin.storage.createVolume({ hostId: "local", pool: POOL, name: "small.raw", format: "raw", capacityBytes: 4 * MiB, preallocate: true });
  assert.equal(small.allocationBytes, 4 * MiB, "a preallocated volume that fits takes its whole size");
  await admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "small.raw" });
});

test("the volume list names the VMs that read each volume; an attached volume is deleted only with the VM's name typed, after detaching it", async () => {
  const base = await admin.storage.createVolume({ hostId: "local", pool: POOL, name: "base.qcow2", format: "qcow2", capacityBytes: 16 * MiB });
  await admin.storage.createVolume({ hostId: "local", pool: POOL, name: "spare.raw", format: "raw", capacityBytes: MiB });
  const clonePath = `${POOL_DIR}/clone.qcow2`;
  await run("qemu-img", ["create", "-q", "-f", "qcow2", "-b", base.path!, "-F", "qcow2", clonePath]);
  await admin.storage.refreshPool({ hostId: "local", pool: POOL });
  const vmUuid = await defineVm(VM, base.path!);
  const cloneUuid = await defineVm(CLONE, clonePath);

  const users = async () =>
    Object.fromEntries(
      (await admin.storage.volumes({ hostId: "local", pool: POOL })).map((v) => [
        v.name,
        v.usedBy.map((u) => `${u.name} ${u.target}${u.backing ? " backing" : ""}`).sort(),
      ]),
    );
  assert.deepEqual(await users(), {
    "base.qcow2": [`${CLONE} vda backing`, `${VM} vda`],
    "clone.qcow2": [`${CLONE} vda`],
    "spare.raw": [],
  });
  const listed = (await admin.storage.volumes({ hostId: "local", pool: POOL })).find((v) => v.name === "clone.qcow2")!;
  assert.deepEqual(listed.usedBy, [{ uuid: cloneUuid, name: CLONE, target: "vda", running: false, backing: false }]);

  const mark = auditMark(db);
  const backing = await trpcError(admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "base.qcow2", detachFrom: [VM, CLONE] }));
  assert.equal(backing.code, "CONFLICT");
  assert.match(backing.message, new RegExp(`: it is the backing file under VM "${CLONE}"'s disk vda; deleting it would break that disk$`));
  await virsh(["undefine", CLONE]);

  const refused = await trpcError(admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "base.qcow2" }));
  assert.equal(refused.code, "CONFLICT");
  assert.equal(
    refused.message,
    `volume "base.qcow2" in pool "${POOL}" on host "local": in use by VM "${VM}" as vda; detach it first, or type the VM's name to detach it and delete the volume`,
  );
  assert.ok(existsSync(base.path!), "the refused volume is still there");
  assert.match(await virsh(["domblklist", VM]), new RegExp(`vda\\s+${base.path}`));
  const wrongName = await trpcError(admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "base.qcow2", detachFrom: [`${VM}-other`] }));
  assert.equal(wrongName.code, "CONFLICT");

  assert.deepEqual(await admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "base.qcow2", detachFrom: [VM] }), {
    detached: [{ target: "vda", path: base.path!, live: false, persistent: true, pending: false }],
  });
  assert.doesNotMatch(await virsh(["domblklist", VM]), /vda/, "the disk was detached from the VM's definition");
  assert.equal(existsSync(base.path!), false, "and the volume's file is gone");
  assertAuditedSince(db, mark, [
    { action: "storage.deleteVolume", target: volumeTarget("base.qcow2"), result: "error" },
    { action: "storage.deleteVolume", target: volumeTarget("base.qcow2"), result: "error" },
    { action: "storage.deleteVolume", target: volumeTarget("base.qcow2"), result: "error" },
    { action: "storage.deleteVolume", target: volumeTarget("base.qcow2") },
  ]);

  // The clone's overlay is now an orphan whose backing file is gone: attached to the VM, its page says so.
  await admin.storage.attachDisk({ hostId: "local", uuid: vmUuid, pool: POOL, volume: "clone.qcow2" });
  assert.deepEqual((await admin.vms.get({ hostId: "local", uuid: vmUuid })).missingFiles, [{ target: "vda", path: base.path!, backing: true }]);
  // Deleted outside the manager, the disk's own file is missing too.
  await rm(clonePath);
  assert.deepEqual(
    (await admin.vms.get({ hostId: "local", uuid: vmUuid })).missingFiles.map((m) => [m.path, m.backing]),
    [[clonePath, false]],
  );
  await admin.storage.refreshPool({ hostId: "local", pool: POOL });
  assert.deepEqual(
    (await admin.vms.get({ hostId: "local", uuid: vmUuid })).missingFiles.map((m) => [m.path, m.backing]),
    [[clonePath, false]],
    "still missing once the pool no longer lists it",
  );
});

test(
  "a volume attached to a running guest, deleted with the guest's name typed, leaves the running guest and its definition first",
  { timeout: 180_000 },
  async () => {
    guest = await createTestDomain({ label: "inuse" });
    await guest.waitForReady();
    const vm = { hostId: "local", uuid: guest.uuid };
    await admin.storage.createVolume({ hostId: "local", pool: POOL, name: "hot.qcow2", format: "qcow2", capacityBytes: 16 * MiB });
    const hot = await admin.storage.attachDisk({ ...vm, pool: POOL, volume: "hot.qcow2" });
    assert.equal(hot.live, true);
    const listed = (await admin.storage.volumes({ hostId: "local", pool: POOL })).find((v) => v.name === "hot.qcow2")!;
    assert.deepEqual(listed.usedBy, [{ uuid: guest.uuid, name: guest.name, target: hot.target, running: true, backing: false }]);

    const mark = auditMark(db);
    const remove = () => admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume: "hot.qcow2", detachFrom: [guest!.name] });
    // Hot-unplug needs the guest's cooperation: libvirt waits a few seconds for it, then the call says it is still pending.
    const first = await remove().then(
      (answer) => ({ answer, pending: false as const }),
      (err: unknown) => {
        assert.ok(err instanceof TRPCError && err.code === "CONFLICT" && /has not released disk/.test(err.message), `unexpected ${String(err)}`);
        return { answer: null, pending: true as const };
      },
    );
    if (first.pending) {
      await waitFor(async () => !(await virsh(["domblklist", guest!.name])).includes(hot.target), { timeoutMs: 30_000, what: "the guest to release the disk" });
      assert.deepEqual(await remove(), { detached: [] }, "once released, nothing is left to detach");
    } else {
      assert.deepEqual(first.answer, { detached: [{ target: hot.target, path: hot.path, live: true, persistent: true, pending: false }] });
    }
    assert.doesNotMatch(await virsh(["domblklist", guest.name]), new RegExp(hot.target), "gone from the running guest");
    assert.doesNotMatch(await virsh(["domblklist", "--inactive", guest.name]), new RegExp(hot.target), "and from its definition");
    assert.equal(existsSync(hot.path), false, "the volume's file is gone");
    assert.equal(await guest.state(), "running");
    const target = volumeTarget("hot.qcow2");
    assertAuditedSince(db, mark, [
      ...(first.pending ? [{ action: "storage.deleteVolume", target, result: "error" as const }] : []),
      { action: "storage.deleteVolume", target },
    ]);
    await guest.destroy();
    guest = undefined;
  },
);

test("deleting a pool with its directory is checked before anything stops: its volumes are listed, and go only when asked", async () => {
  const poolState = async () => (await virsh(["pool-info", POOL])).match(/State:\s+(\S+)/)?.[1];
  await admin.storage.createVolume({ hostId: "local", pool: POOL, name: "busy.qcow2", format: "qcow2", capacityBytes: 16 * MiB });
  const vmUuid = await virsh(["domuuid", VM]);
  const busy = await admin.storage.attachDisk({ hostId: "local", uuid: vmUuid, pool: POOL, volume: "busy.qcow2" });
  const filesBefore = (await readdir(POOL_DIR)).sort();
  assert.deepEqual(filesBefore, ["busy.qcow2", "spare.raw"]);
  const mark = auditMark(db);

  const refused = await trpcError(admin.storage.deletePool({ hostId: "local", pool: POOL, deleteData: true }));
  assert.equal(refused.code, "CONFLICT");
  assert.equal(
    refused.message,
    `pool "${POOL}" on host "local": it holds 2 volumes (busy.qcow2, spare.raw); delete the volumes too, or delete them first, before deleting its data`,
  );
  assert.equal(await poolState(), "running", "nothing was stopped");
  assert.equal((await admin.storage.pool({ hostId: "local", pool: POOL })).state, "running");

  const inUse = await trpcError(admin.storage.deletePool({ hostId: "local", pool: POOL, deleteData: true, deleteVolumes: true }));
  assert.equal(inUse.code, "CONFLICT");
  assert.match(inUse.message, new RegExp(`VMs read some of its volumes: busy.qcow2 \\(VM "${VM}"\\); detach them first$`));
  assert.equal(await poolState(), "running", "nothing was stopped");
  assert.deepEqual((await readdir(POOL_DIR)).sort(), filesBefore, "no volume was deleted");

  await admin.storage.detachDisk({ hostId: "local", uuid: vmUuid, target: busy.target });
  assert.deepEqual(await admin.storage.deletePool({ hostId: "local", pool: POOL, deleteData: true, deleteVolumes: true }), {
    deletedVolumes: ["busy.qcow2", "spare.raw"],
  });
  assert.equal(existsSync(POOL_DIR), false, "the directory went with its volumes");
  await assert.rejects(virsh(["pool-info", POOL]), /failed to get pool|not found/i);
  const poolTarget = auditTargets.pool("local", POOL);
  assertAuditedSince(db, mark, [
    { action: "storage.deletePool", target: poolTarget, result: "error" },
    { action: "storage.deletePool", target: poolTarget, result: "error" },
    { action: "storage.detachDisk", target: auditTargets.inVm(auditTargets.vm("local", VM), `disk ${busy.target}`) },
    { action: "storage.deletePool", target: poolTarget },
  ]);
});

test("when deleting a pool's directory fails after all (something that is no volume is in it), the pool is started again and the error says so", async () => {
  const name = `${POOL}-fifo`;
  const dir = `/tmp/${name}`;
  try {
    await admin.storage.definePool({ hostId: "local", spec: { type: "dir", name, path: dir }, start: true, autostart: false });
    // A named pipe is not a volume to libvirt, so the check finds the pool empty, but the directory is not.
    await run("mkfifo", [`${dir}/pipe`]);
    assert.deepEqual(await admin.storage.volumes({ hostId: "local", pool: name }), []);
    const failed = await trpcError(admin.storage.deletePool({ hostId: "local", pool: name, deleteData: true }));
    assert.equal(failed.code, "CONFLICT");
    assert.match(
      failed.message,
      new RegExp(`^pool "${name}" on host "local": deleting its data failed \\(libvirt: .+\\); the pool is still defined and it was started again$`),
    );
    assert.match(await virsh(["pool-info", name]), /State:\s+running/);
    assert.equal((await admin.storage.pool({ hostId: "local", pool: name })).state, "running");
  } finally {
    await deletePool(resolveHost(db, "local"), name).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, statfsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { TRPCError } from "@trpc/server";
import { createCallerFactory } from "@/server/api/trpc";
import { storageRouter } from "@/server/api/routers/storage";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { ServiceError } from "@/server/errors";
import { deletePool } from "@/server/storage/pools";
import { downloadVolume, resolveVolumePath, uploadVolume } from "@/server/storage/volumes";
import { buildDomainXml } from "@/server/domains/xml";
import type { Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * Storage against the real libvirtd: an admin makes a throwaway dir pool, fills it with volumes,
 * resizes, uploads and downloads them, attaches one to a stopped VM, and removes it all again.
 * Each change through the API leaves exactly one audit row naming the pool, volume or disk.
 * Everything is named kvmm-test-* and removed in `after`, whatever happened.
 */

const MiB = 1024 * 1024;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-pool-${id}`;
// Made by the pool build (mode 0711, so QEMU's user can reach the images); /tmp itself is world-traversable.
const POOL_DIR = `/tmp/${POOL}`;
const VM = `kvmm-test-disk-${id}`;
const poolTarget = auditTargets.pool("local", POOL);
const volumeTarget = (volume: string) => auditTargets.volume("local", POOL, volume);

const caller = createCallerFactory(storageRouter);
let db: Db;
let cleanupDb: () => void;
let admin: ReturnType<typeof caller>;
let viewer: ReturnType<typeof caller>;

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = caller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.10" });
  viewer = caller({ db, user: await addUser(db, "vic", "viewer"), clientIp: "192.0.2.11" });
});

after(async () => {
  await virsh(["undefine", VM]).catch(() => undefined);
  for (const name of [POOL, `${POOL}-nodir`]) await deletePool(resolveHost(db, "local"), name).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb();
});

async function trpcCode(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail("expected the call to fail");
}

test("an admin defines, builds and starts a dir pool; it is listed with its sizes", async () => {
  const mark = auditMark(db);
  // build defaults to yes for a dir pool: libvirt makes the directory.
  const pool = await admin.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
  assert.equal(pool.name, POOL);
  assert.equal(pool.type, "dir");
  assert.equal(pool.state, "running");
  assert.equal(pool.active, true);
  assert.equal(pool.persistent, true);
  assert.equal(pool.autostart, false);
  assert.equal(pool.targetPath, POOL_DIR);
  assert.ok((await stat(POOL_DIR)).isDirectory(), "the build made the directory");

  const listed = (await viewer.pools({ hostId: "local" })).find((p) => p.name === POOL);
  assert.ok(listed?.scope === "host", "a viewer without grants sees the whole pool in the list");
  // A dir pool's sizes are its filesystem's: the same total, and free space (libvirt counts the blocks
  // reserved for root as free: f_bfree, not f_bavail) within what other tests may write meanwhile.
  const fsNow = statfsSync(POOL_DIR);
  assert.equal(listed.capacityBytes, fsNow.blocks * fsNow.bsize, "capacity is the filesystem's size");
  assert.ok(Math.abs(listed.availableBytes - fsNow.bfree * fsNow.bsize) < 512 * MiB, `available ${listed.availableBytes} vs ${fsNow.bfree * fsNow.bsize}`);
  assert.match(await virsh(["pool-info", POOL]), /State:\s+running/);

  assertAuditedSince(db, mark, [{ action: "definePool", target: poolTarget }]);
});

test("defining it again, or over a system directory, is refused", async () => {
  const again = await trpcCode(admin.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: `${POOL_DIR}-2` } }));
  assert.equal(again.code, "CONFLICT");
  assert.match(again.message, new RegExp(`pool "${POOL}" on host "local": already exists`));
  assert.equal((await trpcCode(admin.definePool({ hostId: "local", spec: { type: "dir", name: `${POOL}-etc`, path: "/etc" } }))).code, "BAD_REQUEST");
});

test("a pool that cannot start is not kept half-made", async () => {
  const name = `${POOL}-nodir`;
  const failed = await trpcCode(admin.definePool({ hostId: "local", spec: { type: "dir", name, path: `/tmp/${name}` }, build: false, start: true }));
  assert.equal(failed.code, "BAD_REQUEST");
  assert.match(failed.message, new RegExp(`^pool "${name}" on host "local": start failed, so the pool was not kept: libvirt: `));
  assert.equal(
    (await admin.pools({ hostId: "local" })).some((p) => p.name === name),
    false,
  );
});

test("a qcow2 volume is created, grown, and shrunk only when asked", async () => {
  const mark = auditMark(db);
  const vol = await admin.createVolume({ hostId: "local", pool: POOL, name: "disk.qcow2", format: "qcow2", capacityBytes: 64 * MiB });
  assert.equal(vol.format, "qcow2");
  assert.equal(vol.capacityBytes, 64 * MiB);
  assert.equal(vol.path, `${POOL_DIR}/disk.qcow2`);
  assert.ok(vol.allocationBytes < 4 * MiB, "thin: qcow2 allocates metadata only");

  const grown = await admin.resizeVolume({ hostId: "local", pool: POOL, volume: "disk.qcow2", capacityBytes: 128 * MiB });
  assert.equal(grown.capacityBytes, 128 * MiB);
  assert.match(await virsh(["vol-info", "--pool", POOL, "disk.qcow2", "--bytes"]), /Capacity:\s+134217728 bytes/);

  const refused = await trpcCode(admin.resizeVolume({ hostId: "local", pool: POOL, volume: "disk.qcow2", capacityBytes: 32 * MiB }));
  assert.equal(refused.code, "BAD_REQUEST");
  assert.match(refused.message, /shrinking .* would lose data/);
  const shrunk = await admin.resizeVolume({ hostId: "local", pool: POOL, volume: "disk.qcow2", capacityBytes: 96 * MiB, allowShrink: true });
  assert.equal(shrunk.capacityBytes, 96 * MiB);

  const again = await trpcCode(admin.createVolume({ hostId: "local", pool: POOL, name: "disk.qcow2", capacityBytes: MiB }));
  assert.equal(again.code, "CONFLICT");
  assert.match(again.message, /volume "disk.qcow2" in pool ".*" on host "local": already exists/);
  assertAuditedSince(db, mark, [
    { action: "createVolume", target: volumeTarget("disk.qcow2") },
    { action: "resizeVolume", target: volumeTarget("disk.qcow2") },
    { action: "resizeVolume", target: volumeTarget("disk.qcow2"), result: "invalid" },
    { action: "resizeVolume", target: volumeTarget("disk.qcow2") },
    { action: "createVolume", target: volumeTarget("disk.qcow2"), result: "error" },
  ]);
});

test("4 MiB of random data uploaded into a raw volume land in its file and download back equal", async () => {
  const mark = auditMark(db);
  await admin.createVolume({ hostId: "local", pool: POOL, name: "blob.raw", format: "raw", capacityBytes: 4 * MiB });
  assertAuditedSince(db, mark, [{ action: "createVolume", target: volumeTarget("blob.raw") }]);
  const data = randomBytes(4 * MiB);
  const upProgress: number[] = [];
  // Several chunks of odd sizes, as a browser or file stream would deliver them.
  const chunks = [data.subarray(0, 100_000), data.subarray(100_000, 3 * MiB + 7), data.subarray(3 * MiB + 7)];
  const { bytes } = await uploadVolume(resolveHost(db, "local"), POOL, "blob.raw", Readable.from(chunks), {
    length: data.length,
    onProgress: (n) => upProgress.push(n),
  });
  assert.equal(bytes, data.length);
  assert.equal(upProgress.at(-1), data.length, "the last progress report is the whole length");
  assert.deepEqual(
    upProgress,
    [...upProgress].sort((a, b) => a - b),
    "progress only grows",
  );
  assert.ok(upProgress.length >= 2, `progress reported as it went: ${upProgress.join(",")}`);

  const path = await resolveVolumePath(resolveHost(db, "local"), POOL, "blob.raw");
  assert.equal(path, `${POOL_DIR}/blob.raw`);
  assert.ok((await readFile(path)).equals(data), "the volume's file holds exactly the uploaded bytes");

  const downProgress: Array<[number, number | null]> = [];
  const { stream, totalBytes } = await downloadVolume(resolveHost(db, "local"), POOL, "blob.raw", { onProgress: (n, total) => downProgress.push([n, total]) });
  assert.equal(totalBytes, data.length);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  assert.ok(Buffer.concat(parts).equals(data), "downloaded bytes equal the uploaded ones");
  assert.deepEqual(downProgress.at(-1), [data.length, data.length]);

  const part = await downloadVolume(resolveHost(db, "local"), POOL, "blob.raw", { offset: MiB, length: 10 });
  const slice: Buffer[] = [];
  for await (const chunk of part.stream) slice.push(chunk as Buffer);
  assert.ok(Buffer.concat(slice).equals(data.subarray(MiB, MiB + 10)));
});

test("an upload larger than the volume is refused, before or while streaming", async () => {
  const declared = uploadVolume(resolveHost(db, "local"), POOL, "blob.raw", Readable.from([Buffer.alloc(16)]), { length: 4 * MiB + 1 });
  await assert.rejects(declared, (err: unknown) => err instanceof ServiceError && err.kind === "invalid" && /do not fit/.test(err.message));
  const undeclared = uploadVolume(resolveHost(db, "local"), POOL, "blob.raw", Readable.from([Buffer.alloc(3 * MiB), Buffer.alloc(MiB + 1)]), { offset: 0 });
  await assert.rejects(undeclared, (err: unknown) => err instanceof ServiceError && /more than the 4194304 bytes that fit/.test(err.message));
});

test("a volume attaches to a stopped VM's definition and detaches again", async () => {
  const path = await resolveVolumePath(resolveHost(db, "local"), POOL, "disk.qcow2");
  const xml = buildDomainXml({
    name: VM,
    domainType: "qemu",
    vcpus: 1,
    memoryMiB: 64,
    firmware: "bios",
    secureBoot: false,
    disks: [],
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
  const uuid = await virsh(["domuuid", VM]);
  const mark = auditMark(db);

  const attached = await admin.attachDisk({ hostId: "local", uuid, pool: POOL, volume: "disk.qcow2" });
  assert.deepEqual(attached, { target: "vda", path, live: false, persistent: true });
  assert.match(await virsh(["domblklist", VM]), new RegExp(`vda\\s+${path}`));

  const twice = await trpcCode(admin.attachDisk({ hostId: "local", uuid, pool: POOL, volume: "disk.qcow2" }));
  assert.equal(twice.code, "CONFLICT");
  assert.match(twice.message, new RegExp(`VM "${VM}" on host "local": volume "disk.qcow2" of pool "${POOL}" is already attached`));
  const second = await admin.attachDisk({ hostId: "local", uuid, pool: POOL, volume: "blob.raw", bus: "sata" });
  assert.equal(second.target, "sda");

  const detached = await admin.detachDisk({ hostId: "local", uuid, target: "vda" });
  assert.deepEqual(detached, { target: "vda", path, live: false, persistent: true, pending: false });
  assert.doesNotMatch(await virsh(["domblklist", VM]), /vda/);
  assert.equal((await trpcCode(admin.detachDisk({ hostId: "local", uuid, target: "vdq" }))).code, "NOT_FOUND");
  await admin.detachDisk({ hostId: "local", uuid, target: "sda" });

  const vmTarget = auditTargets.vm("local", VM);
  const attachTarget = (volume: string) => auditTargets.inVm(vmTarget, `volume "${volume}" of pool "${POOL}"`);
  assertAuditedSince(db, mark, [
    { action: "attachDisk", target: attachTarget("disk.qcow2") },
    { action: "attachDisk", target: attachTarget("disk.qcow2"), result: "error" },
    { action: "attachDisk", target: attachTarget("blob.raw") },
    { action: "detachDisk", target: auditTargets.inVm(vmTarget, "disk vda") },
    { action: "detachDisk", target: auditTargets.inVm(vmTarget, "disk vdq"), result: "error" },
    { action: "detachDisk", target: auditTargets.inVm(vmTarget, "disk sda") },
  ]);

  const viewerTry = await trpcCode(viewer.attachDisk({ hostId: "local", uuid, pool: POOL, volume: "disk.qcow2" }));
  assert.equal(viewerTry.code, "FORBIDDEN");
  await virsh(["undefine", VM]);
});

test("unknown pools and volumes are not-found errors naming them; hostile names never reach libvirt", async () => {
  const pool = await trpcCode(admin.volumes({ hostId: "local", pool: "kvmm-test-no-such-pool" }));
  assert.equal(pool.code, "NOT_FOUND");
  assert.match(pool.message, /^pool "kvmm-test-no-such-pool" on host "local": libvirt: .*kvmm-test-no-such-pool/);
  const vol = await trpcCode(admin.deleteVolume({ hostId: "local", pool: POOL, volume: "no-such.qcow2" }));
  assert.equal(vol.code, "NOT_FOUND");
  assert.match(vol.message, new RegExp(`^volume "no-such.qcow2" in pool "${POOL}" on host "local": libvirt: .*no-such.qcow2`));
  const host = await trpcCode(admin.pools({ hostId: "nowhere" }));
  assert.equal(host.code, "NOT_FOUND");

  for (const hostile of ["../../etc/passwd", "x'/><a", "a&b", "]]>", "", "-rf"]) {
    assert.equal((await trpcCode(admin.createVolume({ hostId: "local", pool: POOL, name: hostile, capacityBytes: MiB }))).code, "BAD_REQUEST", hostile);
    assert.equal((await trpcCode(admin.volumes({ hostId: "local", pool: hostile }))).code, "BAD_REQUEST", hostile);
  }
  assert.ok(!existsSync(`${POOL_DIR}/passwd`));
  assert.equal((await trpcCode(admin.createVolume({ hostId: "local", pool: POOL, name: "huge", capacityBytes: 2 ** 60 }))).code, "BAD_REQUEST");
  assert.equal((await trpcCode(viewer.createVolume({ hostId: "local", pool: POOL, name: "v", capacityBytes: MiB }))).code, "FORBIDDEN");
});

test("stop, start, refresh and autostart act on the pool; deleting volumes and the pool leaves nothing behind", async () => {
  const mark = auditMark(db);
  await admin.setPoolAutostart({ hostId: "local", pool: POOL, autostart: true });
  assert.equal((await admin.pool({ hostId: "local", pool: POOL })).autostart, true);
  await admin.setPoolAutostart({ hostId: "local", pool: POOL, autostart: false });

  await admin.stopPool({ hostId: "local", pool: POOL });
  assert.equal((await admin.pool({ hostId: "local", pool: POOL })).active, false);
  assert.equal((await trpcCode(admin.volumes({ hostId: "local", pool: POOL }))).code, "CONFLICT", "an inactive pool cannot list volumes");
  await admin.startPool({ hostId: "local", pool: POOL });
  await admin.refreshPool({ hostId: "local", pool: POOL });
  assert.deepEqual(
    (await admin.volumes({ hostId: "local", pool: POOL })).map((v) => v.name),
    ["blob.raw", "disk.qcow2"],
  );

  for (const volume of ["blob.raw", "disk.qcow2"]) await admin.deleteVolume({ hostId: "local", pool: POOL, volume });
  assert.deepEqual(await admin.volumes({ hostId: "local", pool: POOL }), []);
  await admin.deletePool({ hostId: "local", pool: POOL, deleteData: true });
  assert.ok(!existsSync(POOL_DIR), "deleteData removed the pool's directory");
  assert.equal(
    (await admin.pools({ hostId: "local" })).some((p) => p.name === POOL),
    false,
  );
  assertAuditedSince(db, mark, [
    { action: "setPoolAutostart", target: poolTarget },
    { action: "setPoolAutostart", target: poolTarget },
    { action: "stopPool", target: poolTarget },
    { action: "startPool", target: poolTarget },
    { action: "refreshPool", target: poolTarget },
    { action: "deleteVolume", target: volumeTarget("blob.raw") },
    { action: "deleteVolume", target: volumeTarget("disk.qcow2") },
    { action: "deletePool", target: poolTarget },
  ]);
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { testRunRoot } from "../fixtures/paths";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { readImageBytes, writeImageBytes } from "../fixtures/disk-bytes";

/** Clone a shut-off VM with a qcow2 disk in a pool; the clone must get its own disk and identity. */
process.env.KVMM_DOMAIN_TYPE = "qemu";
const tag = `${process.pid}`;
const pool = `kvmm-test-clone-${tag}`;
const source = `kvmm-test-src-${tag}`;
const copy = `kvmm-test-copy-${tag}`;
const poolDir = join(testRunRoot(), pool);
const { db, cleanup } = tempDatabase();
let api: ReturnType<typeof createCaller>;
const MiB = 1024 * 1024;

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  api = createCaller({ db, user: await addUser(db, "root", "admin"), clientIp: "192.0.2.20" });
  await mkdir(poolDir, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", pool, "dir", "--target", poolDir]);
});

after(async () => {
  for (const name of [source, copy]) await virsh(["undefine", "--nvram", name]).catch(() => undefined);
  await virsh(["pool-destroy", pool]).catch(() => undefined);
  await rm(poolDir, { recursive: true, force: true });
  await closeAllConnections();
  cleanup();
});

test("a shut-off VM is cloned with a copy of its disk's data, a new UUID and a new MAC; each call leaves one ok audit row", async () => {
  const mark = auditMark(db);
  const created = await api.vms.create({
    hostId: "local",
    name: source,
    vcpus: 1,
    memoryMiB: 128,
    disks: [{ source: "new", pool, sizeGiB: 0.0625, format: "qcow2", bus: "virtio" }],
    network: { kind: "user" },
    graphics: "vnc",
    tags: ["clone-me"],
  });
  const sourceDisk = join(poolDir, `${source}-disk0.qcow2`);
  const copyDisk = join(poolDir, `${copy}-disk0.qcow2`);
  // Random bytes in the middle of the disk, so only a real copy of the data can hold them.
  const marker = randomBytes(64 * 1024);
  await writeImageBytes(sourceDisk, "qcow2", MiB, marker);

  const cloned = await api.vms.clone({ hostId: "local", uuid: created.uuid, newName: copy });
  // It ran as a task (server/tasks/) on the source VM: succeeded with the clone's identity, each disk copy logged.
  const task = await api.tasks.get({ id: cloned.taskId });
  assert.deepEqual(
    [task.kind, task.state, task.targetUuid, task.detail, task.result],
    ["vm.clone", "succeeded", created.uuid, copy, { uuid: cloned.uuid, name: copy }],
  );
  assert.ok(
    task.log.lines.some((l) => /^Disk vda copied to /.test(l.text)),
    task.log.lines.map((l) => l.text).join("\n"),
  );
  const [a, b] = await Promise.all([api.vms.get({ hostId: "local", uuid: created.uuid }), api.vms.get({ hostId: "local", uuid: cloned.uuid })]);
  assert.notEqual(a.uuid, b.uuid);
  assert.equal(b.name, copy);
  assert.deepEqual(b.tags, ["clone-me"]);
  assert.ok(a.nics[0]?.mac && b.nics[0]?.mac && a.nics[0].mac !== b.nics[0].mac, "MACs must differ");
  assert.equal(a.disks[0]?.source, sourceDisk);
  assert.equal(b.disks[0]?.source, copyDisk);
  assert.ok((await readImageBytes(copyDisk, "qcow2", MiB, marker.length)).equals(marker), "the clone's disk holds the bytes written to the source's");
  // A copy, not an overlay on the source's file: what the clone writes stays in the clone.
  await writeImageBytes(copyDisk, "qcow2", MiB, randomBytes(marker.length));
  assert.ok((await readImageBytes(sourceDisk, "qcow2", MiB, marker.length)).equals(marker), "writing to the clone's disk leaves the source's as it was");

  await api.vms.delete({ hostId: "local", uuid: cloned.uuid, confirmName: copy, deleteStorage: true });
  await api.vms.delete({ hostId: "local", uuid: created.uuid, confirmName: source, deleteStorage: true });
  assert.doesNotMatch(await virsh(["vol-list", pool]), /kvmm-test-(src|copy)/);
  assertAuditedSince(db, mark, [
    { action: "vms.create", target: auditTargets.vm("local", source) },
    // The clone's row names the VM it was made from; the copy is named in the answer.
    { action: "vms.clone", target: auditTargets.vm("local", source) },
    { action: "vms.delete", target: auditTargets.vm("local", copy) },
    { action: "vms.delete", target: auditTargets.vm("local", source) },
  ]);
});

test("cloning to a name that exists is refused and copies nothing", async () => {
  const a = await api.vms.create({
    hostId: "local",
    name: source,
    vcpus: 1,
    memoryMiB: 128,
    disks: [{ source: "new", pool, sizeGiB: 0.0625, format: "qcow2", bus: "virtio" }],
    network: { kind: "none" },
    graphics: "none",
  });
  const before = await virsh(["vol-list", pool]);
  await assert.rejects(api.vms.clone({ hostId: "local", uuid: a.uuid, newName: source }), /already exists/);
  assert.equal(await virsh(["vol-list", pool]), before);
  await api.vms.delete({ hostId: "local", uuid: a.uuid, confirmName: source, deleteStorage: true });
});

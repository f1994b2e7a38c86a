import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { readImageBytes, writeImageBytes } from "../fixtures/disk-bytes";

/**
 * A VM from a cloud image: the base image is copied and grown as the system disk, and a NoCloud
 * seed (user, SSH key, hostname) is built, stored in the pool and attached as a CD-ROM.
 */
const run = promisify(execFile);
process.env.KVMM_DOMAIN_TYPE = "qemu";
const tag = `${process.pid}`;
const pool = `kvmm-test-cloud-${tag}`;
const vmName = `kvmm-test-cloudvm-${tag}`;
const poolDir = join(tmpdir(), pool);
const { db, cleanup } = tempDatabase();
let api: ReturnType<typeof createCaller>;
const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZha2VrZXlmb3J0ZXN0cw== ops@laptop";
const MiB = 1024 * 1024;
// Random bytes in the base image, so only a copy of its data (not a new empty disk) can hold them.
const marker = randomBytes(64 * 1024);

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  api = createCaller({ db, user: await addUser(db, "root", "admin"), clientIp: "192.0.2.30" });
  await mkdir(poolDir, { recursive: true, mode: 0o755 });
  await virsh(["pool-create-as", pool, "dir", "--target", poolDir]);
  // Stands in for a distribution's cloud image: a small qcow2 with some data in it.
  await virsh(["vol-create-as", pool, "base-cloud.qcow2", "16M", "--format", "qcow2"]);
  await writeImageBytes(join(poolDir, "base-cloud.qcow2"), "qcow2", MiB, marker);
});

after(async () => {
  await virsh(["undefine", vmName]).catch(() => undefined);
  await virsh(["pool-destroy", pool]).catch(() => undefined);
  await rm(poolDir, { recursive: true, force: true });
  await closeAllConnections();
  cleanup();
});

test("a cloud-image VM gets a grown copy of the image's data and a cloud-init seed with the user's key and a hash of the password, not the password; create and delete each leave one ok audit row", async () => {
  const mark = auditMark(db);
  const created = await api.vms.create({
    hostId: "local",
    name: vmName,
    vcpus: 1,
    memoryMiB: 256,
    install: {
      kind: "cloudImage",
      pool,
      volume: "base-cloud.qcow2",
      sizeGiB: 1,
      bus: "virtio",
      cloudInit: { username: "ops", sshAuthorizedKeys: [key], hostname: "cloud-1", password: "wizard-secret-42" },
    },
    network: { kind: "none" },
    graphics: "none",
  });
  const vm = await api.vms.get({ hostId: "local", uuid: created.uuid });
  const system = vm.disks.find((d) => d.device === "disk");
  const seed = vm.disks.find((d) => d.device === "cdrom");
  assert.equal(system?.source, join(poolDir, `${vmName}-root.qcow2`));
  assert.equal(seed?.source, join(poolDir, `${vmName}-cidata.iso`));
  assert.match(await virsh(["vol-info", "--bytes", `${vmName}-root.qcow2`, "--pool", pool]), /Capacity:\s+1073741824 bytes/);
  assert.ok((await readImageBytes(system!.source!, "qcow2", MiB, marker.length)).equals(marker), "the system disk holds the base image's data");

  const out = await mkdtemp(join(tmpdir(), "kvmm-seed-"));
  try {
    await run("xorriso", ["-osirrox", "on", "-indev", seed!.source!, "-extract", "/", out]);
    const { stdout: label } = await run("xorriso", ["-indev", seed!.source!, "-pvd_info"]);
    assert.match(label, /Volume Id\s*:\s*cidata/);
    const userData = await readFile(join(out, "user-data"), "utf8");
    assert.ok(userData.startsWith("#cloud-config\n"));
    const config = JSON.parse(userData.slice("#cloud-config\n".length));
    assert.equal(config.hostname, "cloud-1");
    assert.deepEqual(config.users[0].ssh_authorized_keys, [key]);
    assert.match(config.users[0].passwd, /^\$6\$/, "a SHA-512 crypt hash");
    assert.ok(!userData.includes("wizard-secret-42"), "the password itself is nowhere in the seed");
    assert.equal(JSON.parse(await readFile(join(out, "meta-data"), "utf8"))["local-hostname"], "cloud-1");
  } finally {
    await rm(out, { recursive: true, force: true });
  }

  await api.vms.delete({ hostId: "local", uuid: created.uuid, confirmName: vmName, deleteStorage: true });
  const left = await virsh(["vol-list", pool]);
  assert.doesNotMatch(left, new RegExp(`${vmName}-root`), "the VM's own disk goes with it");
  assert.doesNotMatch(left, new RegExp(`${vmName}-cidata.iso`), "and so does the seed made for it");
  assert.match(left, /base-cloud.qcow2/, "the base image is untouched");
  assert.ok((await readImageBytes(join(poolDir, "base-cloud.qcow2"), "qcow2", MiB, marker.length)).equals(marker), "and so is its data");
  assertAuditedSince(db, mark, [
    { action: "vms.create", target: auditTargets.vm("local", vmName) },
    { action: "vms.delete", target: auditTargets.vm("local", vmName) },
  ]);
});

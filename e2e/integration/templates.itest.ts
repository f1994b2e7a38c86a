import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditTargets } from "@/server/audit/targets";
import { auditLog } from "@/server/db/schema";
import { and, asc, eq, gt } from "drizzle-orm";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { testRunRoot } from "../fixtures/paths";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { readImageBytes, writeImageBytes } from "../fixtures/disk-bytes";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { run } from "../fixtures/run";
import { waitFor } from "../fixtures/wait";

/**
 * Templates on a real libvirtd (server/templates/README.md): made of a shut-off idle domain whose
 * small qcow2 disk lies in a pool, deployed as a linked clone and as a full copy, refused to delete
 * while a clone reads it. No guest boots: what the guest would read is checked in the images.
 */
process.env.KVMM_DOMAIN_TYPE = "qemu";
const tag = `${process.pid}`;
const source = `kvmm-test-tsrc-${tag}`;
const linked = `kvmm-test-tlink-${tag}`;
const full = `kvmm-test-tfull-${tag}`;
const templateName = `kvmm-test-base-${tag}`;
const srcPool = `kvmm-test-tsrc-${tag}`;
const tplPool = `kvmm-test-tpl-${tag}`;
const vmPool = `kvmm-test-tvms-${tag}`;
const tplDir = join(testRunRoot(), tplPool);
const vmDir = join(testRunRoot(), vmPool);
const PASSWORD = "template-secret-42";
const MiB = 1024 * 1024;
const marker = randomBytes(64 * 1024);

const { db, cleanup } = tempDatabase();
let admin: ReturnType<typeof createCaller>;
let operator: ReturnType<typeof createCaller>;
let viewer: ReturnType<typeof createCaller>;
let idle: IdleDomain;
let templateId: string;

const sha256 = async (path: string) =>
  createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
const sourceDisk = () => join(testRunRoot(), source, "disk.qcow2");
const forbidden = (err: unknown) => err instanceof TRPCError && err.code === "FORBIDDEN";

async function qemuImgInfo(path: string): Promise<{ format: string; "backing-filename"?: string; "full-backing-filename"?: string }> {
  return JSON.parse((await run("qemu-img", ["info", "--output=json", "-U", path])).stdout);
}

/** A file of the seed ISO, read with xorriso as cloud-init's NoCloud would find it. */
async function seedFile(iso: string, name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "kvmm-test-seed-"));
  try {
    await run("xorriso", ["-osirrox", "on", "-indev", iso, "-extract", `/${name}`, join(dir, name)]);
    return await readFile(join(dir, name), "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "root", "admin"), clientIp: "192.0.2.30" });
  operator = createCaller({ db, user: await addUser(db, "olga", "operator"), clientIp: "192.0.2.31" });
  viewer = createCaller({ db, user: await addUser(db, "vera", "viewer"), clientIp: "192.0.2.32" });
  idle = await defineIdleDomain(source);
  // The idle domain's directory as a pool: its disk becomes a volume, as a VM's disk in a pool is.
  await virsh(["pool-create-as", srcPool, "dir", "--target", join(testRunRoot(), source)]);
  for (const [pool, dir] of [
    [tplPool, tplDir],
    [vmPool, vmDir],
  ] as const) {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await virsh(["pool-create-as", pool, "dir", "--target", dir]);
  }
  await writeImageBytes(sourceDisk(), "qcow2", MiB, marker);
});

after(async () => {
  for (const name of [linked, full]) {
    await virsh(["destroy", name]).catch(() => undefined);
    await virsh(["undefine", name]).catch(() => undefined);
  }
  for (const pool of [srcPool, tplPool, vmPool]) await virsh(["pool-destroy", pool]).catch(() => undefined);
  await idle?.remove();
  await rm(tplDir, { recursive: true, force: true });
  await rm(vmDir, { recursive: true, force: true });
  await closeAllConnections();
  cleanup();
});

test("a template of a shut-off VM holds its disk's bytes in the template pool; the source's disk and definition are untouched", async () => {
  const mark = auditMark(db);
  const xmlBefore = await virsh(["dumpxml", "--inactive", source]);
  const diskBefore = await sha256(sourceDisk());
  const started = await admin.templates.create({ hostId: "local", uuid: idle.uuid, name: templateName, description: "for the test", pool: tplPool });
  templateId = started.templateId;
  const ready = await waitFor(
    async () => {
      const t = await admin.templates.get({ id: templateId });
      assert.notEqual(t.state, "failed", t.error ?? "");
      return t.state === "ready" && t;
    },
    { timeoutMs: 30_000, what: `template ${templateName} to be ready` },
  );
  const task = await admin.tasks.get({ id: started.taskId });
  assert.deepEqual([task.kind, task.state, task.targetUuid, task.detail], ["template.create", "succeeded", idle.uuid, templateName]);
  assert.deepEqual([ready.sourceVm, ready.pool, ready.vcpus, ready.memoryMiB, ready.createdBy, ready.taskId], [source, tplPool, 1, 32, "root", started.taskId]);
  assert.equal(ready.disks.length, 1);
  const disk = ready.disks[0]!;
  assert.deepEqual(
    [disk.target, disk.volume, disk.path, disk.format],
    ["vda", `${templateName}-vda.qcow2`, join(tplDir, `${templateName}-vda.qcow2`), "qcow2"],
  );
  assert.ok((await readImageBytes(disk.path, "qcow2", MiB, marker.length)).equals(marker), "the template's disk holds the source's bytes");
  assert.equal(await virsh(["dumpxml", "--inactive", source]), xmlBefore, "the source's definition is unchanged");
  assert.equal(await sha256(sourceDisk()), diskBefore, "the source's disk file is unchanged");
  assert.equal(await idle.state(), "shut off");
  assert.deepEqual(
    (await admin.templates.list({})).map((t) => t.name),
    [templateName],
  );
  assert.deepEqual(ready.users, []);
  assertAuditedSince(db, mark, [{ action: "templates.create", target: auditTargets.inVm(auditTargets.vm("local", source), `template "${templateName}"`) }]);
});

test("a linked deploy is a qcow2 overlay on the template's disk, made in under 5 s, with a seed holding the hostname and a password hash", async () => {
  const mark = auditMark(db);
  const t0 = performance.now();
  const deployed = await admin.templates.deploy({
    id: templateId,
    name: linked,
    mode: "linked",
    pool: vmPool,
    cloudInit: { hostname: "linked-host", username: "ops", password: PASSWORD, sshAuthorizedKeys: [], userData: "packages: [htop]\n" },
  });
  const ms = performance.now() - t0;
  console.log(`linked deploy of ${linked} (1 disk, with a cloud-init seed): ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `a linked deploy took ${ms.toFixed(0)} ms`);
  const template = await admin.templates.get({ id: templateId });
  const templateDisk = template.disks[0]!.path;
  const disk = join(vmDir, `${linked}-vda.qcow2`);
  const info = await qemuImgInfo(disk);
  assert.equal(info.format, "qcow2");
  assert.equal(info["full-backing-filename"] ?? info["backing-filename"], templateDisk, "the overlay's backing file is the template's disk");
  assert.match(await virsh(["vol-dumpxml", "--pool", vmPool, `${linked}-vda.qcow2`]), new RegExp(`<backingStore>\\s*<path>${templateDisk}</path>`));
  assert.ok((await readImageBytes(disk, "qcow2", MiB, marker.length)).equals(marker), "the clone reads the template's bytes through its backing file");

  const task = await admin.tasks.get({ id: deployed.taskId });
  assert.deepEqual([task.kind, task.state, task.detail, task.result], ["template.deploy", "succeeded", templateName, { uuid: deployed.uuid, name: linked }]);
  const vmTasks = await admin.tasks.list({ vm: { hostId: "local", uuid: deployed.uuid } });
  assert.deepEqual(
    vmTasks.map((t) => t.id),
    [deployed.taskId],
    "the new VM's page lists the deploy that made it",
  );
  const xml = await virsh(["dumpxml", "--inactive", linked]);
  assert.match(xml, new RegExp(`<source file=["']${disk}["']`));
  const iso = join(vmDir, `${linked}-cidata.iso`);
  assert.match(xml, new RegExp(`<disk type=["']file["'] device=["']cdrom["']>[\\s\\S]*?<source file=["']${iso}["']`));
  const userData = await seedFile(iso, "user-data");
  assert.ok(userData.startsWith("#cloud-config\n"));
  const config = JSON.parse(userData.slice("#cloud-config\n".length));
  assert.equal(config.hostname, "linked-host");
  assert.deepEqual(config.packages, ["htop"], "the user's own keys are kept");
  assert.match(config.users[0].passwd, /^\$6\$/);
  assert.ok(!userData.includes(PASSWORD), "the seed holds the hash, not the password");
  assert.equal(JSON.parse(await seedFile(iso, "meta-data"))["local-hostname"], "linked-host");
  assertAuditedSince(db, mark, [{ action: "templates.deploy", target: auditTargets.vm("local", linked) }]);
  const input = db.select({ input: auditLog.input }).from(auditLog).where(gt(auditLog.id, mark)).get()?.input ?? "";
  assert.ok(!input.includes(PASSWORD) && !input.includes("htop"), `the audit row keeps neither the password nor the user-data: ${input}`);
});

test("a deploy whose user-data is a list or broken YAML is refused in plain words (line and column) and makes nothing", async () => {
  const before = await virsh(["vol-list", vmPool]);
  await assert.rejects(
    admin.templates.deploy({ id: templateId, name: `${linked}-bad`, mode: "linked", pool: vmPool, cloudInit: { userData: "- just\n- a list\n" } }),
    /user-data must be a mapping of cloud-config keys/,
  );
  await assert.rejects(
    admin.templates.deploy({ id: templateId, name: `${linked}-bad`, mode: "linked", pool: vmPool, cloudInit: { userData: "a: [1\nb: 2" } }),
    /user-data is not valid YAML at line \d+, column \d+: /,
  );
  assert.equal(await virsh(["vol-list", vmPool]), before);
  await assert.rejects(virsh(["domstate", `${linked}-bad`]), /failed to get domain|Domain not found/);
});

test("a full deploy holds the template's bytes in a volume of its own, with no backing file, and starts when asked", async () => {
  const deployed = await admin.templates.deploy({ id: templateId, name: full, mode: "full", pool: vmPool, start: true });
  assert.equal(await virsh(["domstate", full]), "running", "asked to start, it was started");
  await virsh(["destroy", full]);
  const disk = join(vmDir, `${full}-vda.qcow2`);
  const info = await qemuImgInfo(disk);
  assert.equal(info["backing-filename"], undefined);
  assert.ok((await readImageBytes(disk, "qcow2", MiB, marker.length)).equals(marker));
  assert.doesNotMatch(await virsh(["dumpxml", "--inactive", full]), /cidata|cdrom/, "no cloud-init asked: no seed");
  const users = (await admin.templates.get({ id: templateId })).users;
  assert.deepEqual(users, [{ kind: "vm", name: linked, uuid: (await virsh(["domuuid", linked])).trim() }], "the full copy does not use the template");
  assert.ok(deployed.uuid);
});

test("a running VM is refused for a template; a viewer may not make or delete one, an operator may not deploy", async () => {
  const mark = auditMark(db);
  await virsh(["start", source]);
  try {
    await assert.rejects(
      admin.templates.create({ hostId: "local", uuid: idle.uuid, name: `${templateName}-2`, pool: tplPool }),
      new RegExp(`VM "${source}" on host "local": shut it down before making a template of it`),
    );
  } finally {
    await virsh(["destroy", source]);
  }
  await assert.rejects(viewer.templates.create({ hostId: "local", uuid: idle.uuid, name: `${templateName}-3`, pool: tplPool }), forbidden);
  await assert.rejects(viewer.templates.delete({ id: templateId }), forbidden);
  await assert.rejects(operator.templates.deploy({ id: templateId, name: `${linked}-op`, mode: "linked", pool: vmPool }), forbidden);
  assert.deepEqual(
    (await viewer.templates.list({})).map((t) => t.id),
    [templateId],
    "every role sees templates",
  );
  assert.equal((await admin.templates.list({})).length, 1, "nothing was made by the refused calls");
  assertAuditedSince(
    db,
    mark,
    [{ action: "templates.create", target: auditTargets.inVm(auditTargets.vm("local", source), `template "${templateName}-2"`), result: "error" }],
    {
      about: auditTargets.vm("local", source),
    },
  );
  // Refused by permission before the target is resolved: one denied row per call, naming who.
  assert.deepEqual(
    db
      .select({ action: auditLog.action, username: auditLog.username, result: auditLog.result })
      .from(auditLog)
      .where(and(gt(auditLog.id, mark), eq(auditLog.result, "denied")))
      .orderBy(asc(auditLog.id))
      .all(),
    [
      { action: "templates.create", username: "vera", result: "denied" },
      { action: "templates.delete", username: "vera", result: "denied" },
      { action: "templates.deploy", username: "olga", result: "denied" },
    ],
  );
});

test("delete is refused naming the linked clone VM, then the volume a removed clone left; allowed once nothing reads the template", async () => {
  const mark = auditMark(db);
  const target = auditTargets.template("local", templateName);
  await assert.rejects(admin.templates.delete({ id: templateId }), new RegExp(`${target} is used by linked clones: VM "${linked}"$`));
  // The VM goes, its overlay stays in the pool: still a user of the template, as a volume.
  await virsh(["undefine", linked]);
  const overlay = join(vmDir, `${linked}-vda.qcow2`);
  await assert.rejects(admin.templates.delete({ id: templateId }), new RegExp(`is used by linked clones: volume ${overlay}$`));
  await virsh(["vol-delete", "--pool", vmPool, `${linked}-vda.qcow2`]);
  const templateDisk = join(tplDir, `${templateName}-vda.qcow2`);
  await admin.templates.delete({ id: templateId });
  assert.deepEqual(await admin.templates.list({}), []);
  assert.doesNotMatch(await virsh(["vol-list", tplPool]), new RegExp(templateName));
  await assert.rejects(readFile(templateDisk), /ENOENT/);
  assertAuditedSince(db, mark, [
    { action: "templates.delete", target, result: "error" },
    { action: "templates.delete", target, result: "error" },
    { action: "templates.delete", target },
  ]);
});

test("a cancel while the disks are copied removes the copies made so far and the template's row", async () => {
  // A second disk, so there is a point between disks where the cancel takes effect.
  const second = join(testRunRoot(), source, "disk2.qcow2");
  await run("qemu-img", ["create", "-q", "-f", "qcow2", second, "16M"]);
  await virsh(["pool-refresh", srcPool]);
  await virsh(["attach-disk", source, second, "vdb", "--subdriver", "qcow2", "--config"]);
  const name = `${templateName}-cancel`;
  const started = await admin.templates.create({ hostId: "local", uuid: idle.uuid, name, pool: tplPool });
  await admin.tasks.cancel({ id: started.taskId });
  const task = await waitFor(
    async () => {
      const t = await admin.tasks.get({ id: started.taskId });
      return t.state !== "running" && t;
    },
    { timeoutMs: 30_000, what: "the template task to end" },
  );
  assert.equal(task.state, "cancelled", task.error ?? "");
  assert.match(task.error ?? "", new RegExp(`template "${name}" on host "local": cancelled; the \\d disk copies made were deleted`));
  assert.deepEqual(await admin.templates.list({}), []);
  assert.doesNotMatch(await virsh(["vol-list", tplPool]), new RegExp(name));
});

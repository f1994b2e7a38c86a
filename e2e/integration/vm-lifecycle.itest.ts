import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections, getConnection } from "@/server/libvirt/registry";
import { subscribe, unwatchAllHosts, watchHost, type ManagerEvent } from "@/server/events/bus";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { auditLog } from "@/server/db/schema";
import { uuidFromString, VIR_NODE_SUSPEND_TARGET_MEM } from "@/server/libvirt";
import { auditTargets } from "@/server/audit/targets";
import type { PowerAction } from "@/server/domains/power";
import { ensureTestGuestImage, composeInitrd } from "../fixtures/guest-image";
import { ensureLibvirtd, libvirtUri, virsh, AGENT_CHANNEL, QGA_CHANNEL, QEMU_GUEST_AGENT_HOOK } from "../fixtures/test-host";
import { kernelCmdline } from "../fixtures/domain-xml";
import { testRunRoot } from "../fixtures/paths";
import { waitFor } from "../fixtures/wait";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * A user's story through the API: create a VM from a wizard spec (the test guest, booted by
 * direct kernel boot under TCG), watch it start, sleep and wake, reset, reboot, pause, resume, shut
 * down, be edited and go away — every step through tRPC with its permission check and exactly one
 * audit row naming the VM, and libvirt's events in order.
 */
process.env.KVMM_DOMAIN_TYPE = "qemu";
/** The edit test renames the VM; later steps and the cleanup use the name it has then. */
let name = `kvmm-test-wizard-${process.pid}`;
const renamed = `kvmm-test-renamed-${process.pid}`;
const runDir = join(testRunRoot(), name);
const { db, cleanup } = tempDatabase();
const events: ManagerEvent[] = [];
const stopListening = subscribe((e) => {
  if ("name" in e && e.name === name) events.push(e);
});

type Api = ReturnType<typeof createCaller>;
let admin: Api;
let viewer: Api;
let uuid = "";

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  await watchHost("local", getConnection("local", libvirtUri()));
  admin = createCaller({ db, user: await addUser(db, "root", "admin"), clientIp: "192.0.2.10" });
  viewer = createCaller({ db, user: await addUser(db, "vera", "viewer"), clientIp: "192.0.2.11" });
  const image = await ensureTestGuestImage();
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  await copyFile(image.kernel, join(runDir, "vmlinuz"));
  // Stock qemu-ga in the guest: libvirt sends a guest to sleep (S3) through it.
  await composeInitrd({ baseInitrd: image.baseInitrd, outPath: join(runDir, "initrd.img"), initScripts: [QEMU_GUEST_AGENT_HOOK] });
});

after(async () => {
  stopListening();
  if (uuid) await virsh(["destroy", name]).catch(() => undefined);
  await virsh(["undefine", name]).catch(() => undefined);
  await rm(runDir, { recursive: true, force: true });
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

async function state() {
  return (await admin.vms.get({ hostId: "local", uuid })).state;
}

const vmTarget = () => auditTargets.vm("local", name);
const power = (action: PowerAction) => admin.vms.power({ hostId: "local", uuid, action });

const serialLog = () => readFile(join(runDir, "serial.log"), "utf8").catch(() => "");
/** The kernel prints this first on every boot, so the count of them is the count of boots. */
const KERNEL_BANNER = /Linux version /g;
/** The test guest's init prints this once userspace is up (see e2e/fixtures/test-guest/rootfs/init). */
const READY = /KVMM-GUEST-READY/g;

async function count(pattern: RegExp): Promise<number> {
  return (await serialLog()).match(pattern)?.length ?? 0;
}

async function waitForCount(pattern: RegExp, n: number, what: string): Promise<void> {
  await waitFor(async () => (await count(pattern)) >= n, {
    timeoutMs: 90_000,
    what,
    describe: async () => `last serial output:\n${(await serialLog()).slice(-2000)}`,
  });
}

function inOrder(seen: string[], expected: string[]): boolean {
  let i = 0;
  for (const e of seen) if (e === expected[i]) i++;
  return i === expected.length;
}

/** The lifecycle events seen so far, or since the `from`-th event. */
const lifecycle = (from = 0) =>
  events
    .slice(from)
    .filter((e) => e.type === "domain.lifecycle")
    .map((e) => (e.type === "domain.lifecycle" ? e.event : ""));

test("a VM is created from a wizard spec, with both agent channels and its tags", async () => {
  const mark = auditMark(db);
  const created = await admin.vms.create({
    hostId: "local",
    name,
    title: "Wizard test <&>",
    vcpus: 1,
    memoryMiB: 384,
    install: {
      kind: "kernel",
      kernel: join(runDir, "vmlinuz"),
      initrd: join(runDir, "initrd.img"),
      cmdline: kernelCmdline({ hostname: "wizard-guest", channels: [AGENT_CHANNEL, QGA_CHANNEL], extraCmdline: [] }),
    },
    network: { kind: "none" },
    graphics: "none",
    tags: ["test", "wizard"],
    serialLogFile: join(runDir, "serial.log"),
  });
  uuid = created.uuid;
  const vm = await admin.vms.get({ hostId: "local", uuid });
  assert.equal(vm.name, name);
  assert.equal(vm.title, "Wizard test <&>");
  assert.equal(vm.state, "shutoff");
  assert.equal(vm.domainType, "qemu");
  assert.deepEqual(vm.tags, ["test", "wizard"]);
  assert.deepEqual(vm.channels.map((c) => c.name).sort(), [AGENT_CHANNEL, QGA_CHANNEL].sort());
  const listed = (await viewer.vms.list({})).flatMap((h) => h.vms).find((v) => v.uuid === uuid);
  assert.equal(listed?.state, "shutoff");
  assert.deepEqual(listed?.tags, ["test", "wizard"]);
  assertAuditedSince(db, mark, [{ action: "vms.create", target: vmTarget() }]);
});

test("a viewer can see the VM but not power it on; the refusal is audited", async () => {
  await assert.rejects(viewer.vms.power({ hostId: "local", uuid, action: "start" }), (e) => e instanceof TRPCError && e.code === "FORBIDDEN");
  const last = db.select().from(auditLog).all().at(-1);
  assert.equal(last?.result, "denied");
  assert.equal(last?.action, "vms.power");
});

test("it starts and boots to userspace", async () => {
  const mark = auditMark(db);
  assert.deepEqual(await power("start"), { state: "running" });
  assert.equal(await state(), "running");
  await waitForCount(READY, 1, "the guest's ready marker on its serial log");
  const list = (await admin.vms.list({})).flatMap((h) => h.vms).find((v) => v.uuid === uuid);
  assert.equal(list?.state, "running");
  assert.ok(list && list.usage.memoryUsedKiB !== null, "a running VM reports memory use");
  assertAuditedSince(db, mark, [{ action: "vms.power", target: vmTarget() }]);
});

test("a guest that suspends itself to RAM is pmsuspended, and resume wakes it without a new boot", async () => {
  // libvirt sends the guest to sleep through qemu-ga, which writes "mem" to /sys/power/state: the
  // same as the guest deciding to sleep. The product has no suspend action; it wakes such a guest.
  await waitFor(async () => (await admin.vms.get({ hostId: "local", uuid })).channels.find((c) => c.name === QGA_CHANNEL)?.state === "connected", {
    timeoutMs: 60_000,
    what: "qemu-ga in the guest to open its channel",
  });
  const conn = getConnection("local", libvirtUri());
  const dom = await conn.domainLookupByUuid({ uuid: uuidFromString(uuid) });
  await conn.domainPmSuspendForDuration({ dom, target: VIR_NODE_SUSPEND_TARGET_MEM, duration: 0n, flags: 0 });
  await waitFor(async () => (await state()) === "pmsuspended", { timeoutMs: 30_000, what: "the guest to suspend to RAM" });

  const mark = auditMark(db);
  const log = await serialLog();
  assert.deepEqual(await power("resume"), { state: "running" });
  await waitFor(async () => (await serialLog()).slice(log.length).includes("PM: suspend exit"), {
    timeoutMs: 30_000,
    what: "the guest's kernel to say it woke up",
  });
  assert.equal(await count(KERNEL_BANNER), log.match(KERNEL_BANNER)?.length, "woken, not booted again");
  assert.equal(await state(), "running");
  assertAuditedSince(db, mark, [{ action: "vms.power", target: vmTarget() }]);
});

test("a reset makes it boot again, to userspace", async () => {
  // The reset also comes first for a reason: on QEMU 7.2 (TCG, q35, SeaBIOS) a guest woken from S3
  // gets no ACPI interrupt any more. A power-button press sets its status bit (ff_pwr_btn in
  // /sys/firmware/acpi/interrupts says STS) but the SCI count stays 0, so the guest ignores the
  // reboot and shutdown below until it has been reset.
  const mark = auditMark(db);
  const [boots, readies] = [await count(KERNEL_BANNER), await count(READY)];
  assert.deepEqual(await power("reset"), { state: "running" });
  await waitForCount(KERNEL_BANNER, boots + 1, "the kernel's banner of the boot after the reset");
  await waitForCount(READY, readies + 1, "the ready marker of the boot after the reset");
  assert.equal(await state(), "running");
  assertAuditedSince(db, mark, [{ action: "vms.power", target: vmTarget() }]);
});

test("a reboot presses the ACPI button: the guest shuts down cleanly and boots again, to userspace", async () => {
  const mark = auditMark(db);
  const log = await serialLog();
  assert.deepEqual(await power("reboot"), { state: "running" });
  await waitForCount(READY, (log.match(READY)?.length ?? 0) + 1, "the ready marker of the boot after the reboot");
  // The guest's init prints the shutdown marker only on a clean shutdown (acpid → poweroff), and
  // libvirt then restarts the guest instead of stopping it.
  assert.match((await serialLog()).slice(log.length), /KVMM-GUEST-SHUTDOWN[\s\S]*Linux version [\s\S]*KVMM-GUEST-READY/);
  assert.equal(await state(), "running");
  assertAuditedSince(db, mark, [{ action: "vms.power", target: vmTarget() }]);
});

test("it pauses, resumes and shuts down, with events in order", async () => {
  const mark = auditMark(db);
  assert.deepEqual(await power("pause"), { state: "paused" });
  assert.equal(await state(), "paused");
  await assert.rejects(power("pause"), /cannot pause while it is paused/);
  assert.deepEqual(await power("resume"), { state: "running" });
  assert.equal(await state(), "running");

  await power("shutdown");
  await waitFor(async () => (await state()) === "shutoff", { timeoutMs: 60_000, what: "the guest to power off after ACPI shutdown" });
  await waitFor(() => lifecycle().includes("stopped"), { timeoutMs: 10_000, what: "the stopped event" });
  // QEMU starts a guest paused and resumes it, so libvirt also reports a "resumed" at start;
  // what matters is that the user's transitions arrive, in the order they happened.
  assert.ok(inOrder(lifecycle(), ["defined", "started", "pmsuspended", "suspended", "resumed", "stopped"]), lifecycle().join(" → "));
  assertAuditedSince(db, mark, [
    { action: "vms.power", target: vmTarget() },
    { action: "vms.power", target: vmTarget(), result: "error" },
    { action: "vms.power", target: vmTarget() },
    { action: "vms.power", target: vmTarget() },
  ]);
});

test("editing vCPUs, memory, autostart, tags and name works on the shut-off VM", async () => {
  const mark = auditMark(db);
  const before = vmTarget();
  await admin.vms.setResources({ hostId: "local", uuid, vcpus: 2, memoryMiB: 512 });
  await admin.vms.setAutostart({ hostId: "local", uuid, enabled: true });
  await admin.vms.setTags({ hostId: "local", uuid, tags: ["test", "edited"] });
  const vm = await admin.vms.get({ hostId: "local", uuid });
  assert.equal(vm.vcpus, 2);
  assert.equal(vm.memoryKiB, 512 * 1024);
  assert.equal(vm.autostart, true);
  assert.deepEqual(vm.tags, ["test", "edited"]);
  await admin.vms.setAutostart({ hostId: "local", uuid, enabled: false });

  await admin.vms.rename({ hostId: "local", uuid, newName: renamed });
  name = renamed;
  assert.equal((await admin.vms.get({ hostId: "local", uuid })).name, renamed, "the same VM (by UUID) has the new name");
  assert.equal((await admin.vms.get({ hostId: "local", uuid })).autostart, false);
  assertAuditedSince(db, mark, [
    { action: "vms.setResources", target: before },
    { action: "vms.setAutostart", target: before },
    { action: "vms.setTags", target: before },
    { action: "vms.setAutostart", target: before },
    // The row names the VM as it was called when the rename was asked for.
    { action: "vms.rename", target: before },
  ]);
});

test("unknown VMs are a typed not-found naming the VM; bad names never reach libvirt", async () => {
  await assert.rejects(
    admin.vms.get({ hostId: "local", uuid: "00000000-0000-4000-8000-000000000000" }),
    (e) => e instanceof TRPCError && e.code === "NOT_FOUND" && /VM 00000000-0000-4000-8000-000000000000 on host "local"/.test(e.message),
  );
  await assert.rejects(admin.vms.rename({ hostId: "local", uuid, newName: "bad'<name>&" }), (e) => e instanceof TRPCError && e.code === "BAD_REQUEST");
});

test("malformed import XML is refused and defines nothing", async () => {
  await assert.rejects(admin.vms.importXml({ hostId: "local", xml: "<domain type='qemu'><name>kvmm-test-bad</name>" }), /malformed XML/);
  assert.ok(!(await virsh(["list", "--all", "--name"])).split("\n").includes("kvmm-test-bad"));
});

test("deleting needs the VM's name typed back, then removes it", async () => {
  const mark = auditMark(db);
  // The rename sent an "undefined" too: look only at what follows the delete.
  const seen = events.length;
  await assert.rejects(admin.vms.delete({ hostId: "local", uuid, confirmName: "wrong" }), /type the VM's name/);
  await admin.vms.delete({ hostId: "local", uuid, confirmName: name });
  await assert.rejects(admin.vms.get({ hostId: "local", uuid }), (e) => e instanceof TRPCError && e.code === "NOT_FOUND");
  await waitFor(() => lifecycle(seen).includes("undefined"), { timeoutMs: 10_000, what: "the undefined event" });
  uuid = "";
  assertAuditedSince(db, mark, [
    { action: "vms.delete", target: vmTarget(), result: "invalid" },
    { action: "vms.delete", target: vmTarget() },
  ]);
});

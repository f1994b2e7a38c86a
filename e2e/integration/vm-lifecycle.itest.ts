import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../../server/api/root";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections, getConnection } from "../../server/libvirt/registry";
import { subscribe, unwatchAllHosts, watchHost, type ManagerEvent } from "../../server/events/bus";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { auditLog } from "../../server/db/schema";
import { ensureTestGuestImage, composeInitrd } from "../fixtures/guest-image";
import { ensureLibvirtd, libvirtUri, virsh, AGENT_CHANNEL, QGA_CHANNEL } from "../fixtures/test-host";
import { kernelCmdline } from "../fixtures/domain-xml";
import { testRunRoot } from "../fixtures/paths";
import { waitFor } from "../fixtures/wait";

/**
 * A user's story through the API: create a VM from a wizard spec (the test guest, booted by
 * direct kernel boot under TCG), watch it start, pause, resume, shut down and go away — every
 * step through tRPC with its permission check and audit row, and libvirt's events in order.
 */
process.env.KVMM_DOMAIN_TYPE = "qemu";
const name = `kvmm-test-wizard-${process.pid}`;
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
  await composeInitrd({ baseInitrd: image.baseInitrd, outPath: join(runDir, "initrd.img") });
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

function inOrder(seen: string[], expected: string[]): boolean {
  let i = 0;
  for (const e of seen) if (e === expected[i]) i++;
  return i === expected.length;
}

const lifecycle = () => events.filter((e) => e.type === "domain.lifecycle").map((e) => (e.type === "domain.lifecycle" ? e.event : ""));

test("a VM is created from a wizard spec, with both agent channels and its tags", async () => {
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
});

test("a viewer can see the VM but not power it on; the refusal is audited", async () => {
  await assert.rejects(viewer.vms.power({ hostId: "local", uuid, action: "start" }), (e) => e instanceof TRPCError && e.code === "FORBIDDEN");
  const last = db.select().from(auditLog).all().at(-1);
  assert.equal(last?.result, "denied");
  assert.equal(last?.action, "vms.power");
});

test("it starts, boots to userspace, pauses, resumes and shuts down, with events in order", async () => {
  await admin.vms.power({ hostId: "local", uuid, action: "start" });
  assert.equal(await state(), "running");
  await waitFor(async () => (await readFile(join(runDir, "serial.log"), "utf8").catch(() => "")).includes("KVMM-GUEST-READY"), {
    timeoutMs: 90_000,
    what: "the guest's ready marker on its serial log",
  });
  const list = (await admin.vms.list({})).flatMap((h) => h.vms).find((v) => v.uuid === uuid);
  assert.equal(list?.state, "running");
  assert.ok(list && list.usage.memoryUsedKiB !== null, "a running VM reports memory use");

  await admin.vms.power({ hostId: "local", uuid, action: "pause" });
  assert.equal(await state(), "paused");
  await assert.rejects(admin.vms.power({ hostId: "local", uuid, action: "pause" }), /cannot pause while it is paused/);
  await admin.vms.power({ hostId: "local", uuid, action: "resume" });
  assert.equal(await state(), "running");

  await admin.vms.power({ hostId: "local", uuid, action: "shutdown" });
  await waitFor(async () => (await state()) === "shutoff", { timeoutMs: 60_000, what: "the guest to power off after ACPI shutdown" });
  await waitFor(() => lifecycle().includes("stopped"), { timeoutMs: 10_000, what: "the stopped event" });
  // QEMU starts a guest paused and resumes it, so libvirt also reports a "resumed" at start;
  // what matters is that the user's transitions arrive, in the order they happened.
  assert.ok(inOrder(lifecycle(), ["defined", "started", "suspended", "resumed", "stopped"]), lifecycle().join(" → "));
});

test("editing vCPUs, memory, autostart and name works on the shut-off VM", async () => {
  await admin.vms.setResources({ hostId: "local", uuid, vcpus: 2, memoryMiB: 512 });
  await admin.vms.setAutostart({ hostId: "local", uuid, enabled: true });
  const vm = await admin.vms.get({ hostId: "local", uuid });
  assert.equal(vm.vcpus, 2);
  assert.equal(vm.memoryKiB, 512 * 1024);
  assert.equal(vm.autostart, true);
  await admin.vms.setAutostart({ hostId: "local", uuid, enabled: false });
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
  await assert.rejects(admin.vms.delete({ hostId: "local", uuid, confirmName: "wrong" }), /type the VM's name/);
  await admin.vms.delete({ hostId: "local", uuid, confirmName: name });
  await assert.rejects(admin.vms.get({ hostId: "local", uuid }), (e) => e instanceof TRPCError && e.code === "NOT_FOUND");
  await waitFor(() => lifecycle().includes("undefined"), { timeoutMs: 10_000, what: "the undefined event" });
  uuid = "";
});

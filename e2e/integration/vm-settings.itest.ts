import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { auditMark, assertAuditedSince } from "../fixtures/audit";

/**
 * The VM Settings tab's changes on the real libvirtd, each answered with when it takes effect.
 * An idle domain (SeaBIOS, no OS) is enough: QEMU plugs a vCPU in without the guest's help, and
 * its balloon is turned off (`<memballoon model="none"/>`), which is how a live memory change
 * that cannot be made is seen to be saved for the next boot instead of lost.
 */
const id = randomBytes(3).toString("hex");
const { db, cleanup } = tempDatabase();
let admin: ReturnType<typeof createCaller>;
let dom: IdleDomain;
let ref: { hostId: string; uuid: string };
const MiB = 1024;

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.40" });
  dom = await defineIdleDomain(`kvmm-test-settings-${id}`);
  ref = { hostId: "local", uuid: dom.uuid };
});

after(async () => {
  await dom?.remove();
  await closeAllConnections();
  cleanup();
});

const vcpuCount = async (...flags: string[]) => Number(await virsh(["vcpucount", dom.name, ...flags]));

test("on a shut-off VM, new maximums are saved and each change says it applies at next boot", async () => {
  const answer = await admin.vms.setResources({ ...ref, vcpus: 1, maxVcpus: 2, memoryMiB: 64, maxMemoryMiB: 128 });
  assert.deepEqual(answer.changes, [
    { what: "maxVcpus", from: 1, to: 2, applies: "nextBoot" },
    { what: "memoryKiB", from: 32 * MiB, to: 64 * MiB, applies: "nextBoot" },
    { what: "maxMemoryKiB", from: 32 * MiB, to: 128 * MiB, applies: "nextBoot" },
  ]);
  assert.equal(await vcpuCount("--config", "--maximum"), 2);
  assert.equal(await vcpuCount("--config", "--current"), 1);
  const vm = await admin.vms.get(ref);
  assert.equal(vm.vcpus, 2);
  assert.equal(vm.currentVcpus, 1);
  assert.equal(vm.memoryKiB, 128 * MiB);
  assert.equal(vm.currentMemoryKiB, 64 * MiB);
});

test("on a running VM a vCPU is plugged in now, and memory its balloon cannot take is saved for next boot with libvirt's reason", async () => {
  const mark = auditMark(db);
  await admin.vms.power({ ...ref, action: "start" });
  const answer = await admin.vms.setResources({ ...ref, vcpus: 2, maxVcpus: 2, memoryMiB: 96, maxMemoryMiB: 128 });
  const [vcpus, memory, ...rest] = answer.changes;
  assert.deepEqual(vcpus, { what: "vcpus", from: 1, to: 2, applies: "nowAndNextBoot" });
  assert.equal(memory?.what, "memoryKiB");
  assert.equal(memory?.applies, "nextBoot");
  assert.match(memory?.notLive ?? "", /balloon/i, "libvirt's refusal names the missing balloon");
  assert.deepEqual(rest, []);
  assert.equal(await vcpuCount("--live", "--current"), 2, "the running VM has the second vCPU");
  assert.equal(await vcpuCount("--config", "--current"), 2, "and its definition keeps it");
  assert.match(await virsh(["dumpxml", "--inactive", dom.name]), /<currentMemory unit='KiB'>98304<\/currentMemory>/);
  assertAuditedSince(db, mark, [
    { action: "vms.power", target: `VM "${dom.name}" on host "local"` },
    { action: "vms.setResources", target: `VM "${dom.name}" on host "local"` },
  ]);
});

test("more vCPUs than the maximum is refused in words beside the field, and nothing changes", async () => {
  await assert.rejects(admin.vms.setResources({ ...ref, vcpus: 3, maxVcpus: 2, memoryMiB: 96, maxMemoryMiB: 128 }), (err: Error) => {
    assert.match(err.message, /no more vCPUs than the maximum/);
    return true;
  });
  assert.equal(await vcpuCount("--live", "--current"), 2);
});

test("title and description are saved live and in the definition; an empty description is removed", async () => {
  await admin.vms.setDescription({ ...ref, title: "Build server", description: "Owned by the CI team.\nAsk in #ci before stopping it." });
  const vm = await admin.vms.get(ref);
  assert.equal(vm.title, "Build server");
  assert.equal(vm.description, "Owned by the CI team.\nAsk in #ci before stopping it.");
  assert.match(await virsh(["dumpxml", "--inactive", dom.name]), /<title>Build server<\/title>/);
  await admin.vms.setDescription({ ...ref, title: "Build server", description: "" });
  assert.equal((await admin.vms.get(ref)).description, null);
  await assert.rejects(admin.vms.setDescription({ ...ref, title: "two\nlines", description: "" }), /the title is one line/);
});

test("a processor model the host offers is saved for the next boot; one it does not offer is refused naming what it offers", async () => {
  const options = await admin.vms.processorOptions({ hostId: "local" });
  const models = options.accelerators.find((a) => a.accelerator === "qemu")?.cpus.models ?? [];
  const model = models.find((m) => m !== "qemu64");
  assert.ok(model, `the host offers emulation a second model (it offers ${models.join(", ")})`);
  assert.deepEqual(await admin.vms.setCpu({ ...ref, cpu: { mode: "custom", model } }), { applies: "nextBoot" });
  assert.notEqual((await admin.vms.get(ref)).cpu.model, model, "the running VM keeps its processor until it restarts");
  await assert.rejects(admin.vms.setCpu({ ...ref, cpu: { mode: "custom", model: "NoSuchCpu" } }), /cannot provide CPU model "NoSuchCpu"/);
  const inactive = await virsh(["dumpxml", "--inactive", dom.name]);
  assert.match(inactive, new RegExp(`<model fallback='forbid'>${model}</model>`));
  assert.match(inactive, /<title>Build server<\/title>/, "redefining kept the rest of the definition");
});

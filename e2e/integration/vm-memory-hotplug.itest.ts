import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections, getConnection } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { startGuestHub, stopGuestHub, type GuestHub } from "@/server/guest";
import { bootAgentGuest } from "@/server/guest/testing/agent-guest";
import { onlineBootMemory } from "@/server/guest/boot-memory";
import { memoryLayoutOf } from "@/server/domains/memory-xml";
import { parseDomainXml } from "@/server/domains/xml";
import { ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { auditMark, assertAuditedSince } from "../fixtures/audit";
import { waitFor } from "../fixtures/wait";

/**
 * Memory hot-plug (issue 15 item 4) on the real libvirtd with the busybox test guest (Debian's
 * 6.1 kernel, which has ACPI memory hot-plug and leaves new blocks offline) running our agent: the
 * setting is saved for the next boot, and after it a running VM asked for more memory gets a DIMM
 * live and in its definition, which the agent onlines — the guest's MemTotal grows. Restarted, the
 * VM boots with the modules, which this kernel leaves offline; the product's watch of connecting
 * agents (server/guest/boot-memory.ts, wired here as server/jobs does) has them onlined.
 */
const HOST = "local";
const MiB = 1024;
const { db, cleanup } = tempDatabase();
let admin: ReturnType<typeof createCaller>;
let guest: TestDomain;
let hub: GuestHub;
let stopBootMemory: () => void = () => undefined;
const bootMemoryLog: string[] = [];
const ref = () => ({ hostId: HOST, uuid: guest.uuid });
const context = () => `VM "${guest.name}" on host "${HOST}"`;

async function inGuest(script: string): Promise<string> {
  const result = await hub.call(HOST, guest.uuid, "exec_command", { command: "/bin/sh", args: ["-c", script], timeout_ms: 10_000 }, { timeoutMs: 30_000 });
  assert.equal(result.exit_code, 0, `${script}: ${result.stderr}`);
  return result.stdout.trim();
}

const memTotalKiB = async () => Number(/MemTotal:\s+(\d+) kB/.exec(await inGuest("cat /proc/meminfo"))?.[1]);
/** The agent connected after `after` (ms): a restarted VM's agent, not the one from before, which the hub may still show. */
async function agentConnected(after: number): Promise<void> {
  await waitFor(
    () => {
      const agent = hub.status(HOST, guest.uuid)?.agent;
      return agent?.state === "connected" && Date.parse(agent.since) >= after;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: "the agent to connect" },
  );
}

async function restart(): Promise<void> {
  const stopped = Date.now();
  await admin.vms.power({ ...ref(), action: "forceOff" });
  await admin.vms.power({ ...ref(), action: "start" });
  await agentConnected(stopped);
}

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.41" });
  ({ guest } = await bootAgentGuest({ label: "memhp", memoryMiB: 512 }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  stopBootMemory = onlineBootMemory(hub, {
    connection: (hostId) => (hostId === HOST ? getConnection(HOST, libvirtUri()) : null),
    log: (line) => bootMemoryLog.push(line),
  });
  await agentConnected(0);
});

after(async () => {
  stopBootMemory();
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanup();
});

test("memory hot-plug turned on is saved for the next boot: the definition gets the slots and a NUMA cell, the running VM not yet", async () => {
  const answer = await admin.vms.setMemoryHotplug({ ...ref(), enabled: true });
  assert.equal(answer.applies, "nextBoot");
  assert.ok(answer.ceilingKiB !== null && answer.ceilingKiB > 512 * MiB);
  const layout = memoryLayoutOf(await virsh(["dumpxml", "--inactive", guest.name]));
  assert.deepEqual(layout, { hotplug: { slots: 16, ceilingKiB: answer.ceilingKiB }, numaCells: 1, bootKiB: 512 * MiB, dimms: [] });
  const state = await admin.vms.memoryHotplug(ref());
  assert.equal(state.next?.enabled, true);
  assert.equal(state.now?.enabled, false, "QEMU reserves the slots only when it starts");
});

test("after a restart, 128 MiB more plugs a 128 MiB DIMM live and into the definition, and the agent onlines it: the guest's MemTotal grows by 128 MiB", async (t) => {
  await restart();
  assert.equal((await admin.vms.memoryHotplug(ref())).now?.enabled, true);
  const before = await memTotalKiB();
  const mark = auditMark(db);

  const started = Date.now();
  const answer = await admin.vms.setResources({ ...ref(), vcpus: 1, memoryMiB: 640, maxMemoryMiB: 640 });
  const elapsedMs = Date.now() - started;
  t.diagnostic(`API call to the guest's blocks online: ${elapsedMs} ms`);

  assert.deepEqual(answer.memoryAdded, { sizeKiB: 128 * MiB, askedKiB: 128 * MiB });
  assert.deepEqual(answer.changes, [
    { what: "memoryKiB", from: 512 * MiB, to: 640 * MiB, applies: "nowAndNextBoot" },
    { what: "maxMemoryKiB", from: 512 * MiB, to: 640 * MiB, applies: "nowAndNextBoot" },
  ]);
  assert.ok("guest" in answer, "the product asked the guest to online the new memory");
  assert.equal(answer.guest.state, "online", JSON.stringify(answer.guest));
  const onlined = answer.guest.state === "online" ? answer.guest.memoryOnlined : [];
  assert.equal(onlined.length, 1, "one 128 MiB block came online");

  const live = await virsh(["dumpxml", guest.name]);
  assert.deepEqual(
    memoryLayoutOf(live).dimms.map((d) => d.sizeKiB),
    [128 * MiB],
    "the running VM has the DIMM",
  );
  assert.equal(parseDomainXml(live).memoryKiB, 640 * MiB, "and its memory grew");
  assert.deepEqual(
    memoryLayoutOf(await virsh(["dumpxml", "--inactive", guest.name])).dimms.map((d) => d.sizeKiB),
    [128 * MiB],
    "the definition keeps it",
  );
  assert.equal(await inGuest(`cat /sys/devices/system/memory/memory${onlined[0]}/online`), "1");
  assert.equal((await memTotalKiB()) - before, 128 * MiB, "the guest's kernel counts the new memory");
  assertAuditedSince(db, mark, [{ action: "vms.setResources", target: context() }]);
});

test("a size between blocks is rounded up to a whole 128 MiB module, and the answer says what was asked", async () => {
  const answer = await admin.vms.setResources({ ...ref(), vcpus: 1, memoryMiB: 700, maxMemoryMiB: 700 });
  assert.deepEqual(answer.memoryAdded, { sizeKiB: 128 * MiB, askedKiB: 60 * MiB });
  assert.equal(parseDomainXml(await virsh(["dumpxml", guest.name])).memoryKiB, 768 * MiB);
  assert.ok("guest" in answer && answer.guest.state === "online", JSON.stringify("guest" in answer && answer.guest));
});

test("while modules are plugged in, turning hot-plug off and shrinking below them at next boot are refused in words", async () => {
  await assert.rejects(admin.vms.setMemoryHotplug({ ...ref(), enabled: false }), {
    message: `${context()}: memory hot-plug cannot be turned off while 256 MiB of hot-plugged memory (2 modules) is plugged into the running VM; shut it down first, and it becomes ordinary memory`,
  });
  await assert.rejects(
    admin.vms.setResources({ ...ref(), vcpus: 1, memoryMiB: 256, maxMemoryMiB: 256 }),
    /256 MiB of hot-plugged memory \(2 modules\) stays plugged in/,
  );
  assert.equal(memoryLayoutOf(await virsh(["dumpxml", "--inactive", guest.name])).hotplug?.slots, 16, "the definition is unchanged");
});

test("restarted, the VM boots with its modules plugged in from its definition, and once its agent connects every memory block is online", async (t) => {
  await restart();
  const live = await virsh(["dumpxml", guest.name]);
  assert.deepEqual(
    memoryLayoutOf(live).dimms.map((d) => d.sizeKiB),
    [128 * MiB, 128 * MiB],
  );
  assert.equal(parseDomainXml(live).memoryKiB, 768 * MiB);
  const offlineBlocks = () => inGuest("grep -l 0 /sys/devices/system/memory/memory*/online || true");
  await waitFor(async () => (await offlineBlocks()) === "", { timeoutMs: 30_000, intervalMs: 500, what: "every memory block of the guest to be online" });
  const blocks = Number(await inGuest("ls -d /sys/devices/system/memory/memory* | wc -l"));
  const blockBytes = parseInt(await inGuest("cat /sys/devices/system/memory/block_size_bytes"), 16);
  assert.ok(blocks * blockBytes >= 768 * MiB * 1024, `${blocks} blocks of ${blockBytes} bytes hold the VM's 768 MiB`);
  assert.deepEqual(bootMemoryLog, [`${context()}: onlined 2 memory block(s) of the modules it booted with`], "the product onlined them, not the guest");
  t.diagnostic(`after the restart: MemTotal ${await memTotalKiB()} kB in ${blocks} online blocks`);
});

test("shut off, turning hot-plug off makes the modules ordinary boot memory of the same size", async () => {
  await admin.vms.power({ ...ref(), action: "forceOff" });
  await guest.waitForState("shut off");
  assert.deepEqual(await admin.vms.setMemoryHotplug({ ...ref(), enabled: false }), { applies: "nextBoot", ceilingKiB: null });
  const inactive = await virsh(["dumpxml", "--inactive", guest.name]);
  assert.deepEqual(memoryLayoutOf(inactive), { hotplug: null, numaCells: 0, bootKiB: 768 * MiB, dimms: [] });
  assert.equal(parseDomainXml(inactive).memoryKiB, 768 * MiB);
});

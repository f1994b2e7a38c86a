import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import type { Connection } from "../libvirt";
import { bootModulesWant, onlineBootMemory, type BootMemoryHub } from "./boot-memory";
import type { GuestOnlineReport, HotplugWant } from "./hotplug";
import type { GuestHubEvents, GuestStatus } from "./hub";
import type { GuestVm } from "./service";

const UUID = "6f1b2a4c-1d2e-4f30-8a9b-0c1d2e3f4a5b";
const MiB = 1024;

function domainXml(dimmsMiB: number[]): string {
  const dimms = dimmsMiB.map(
    (size) => `<memory model="dimm"><target><size unit="KiB">${size * MiB}</size><node>0</node></target><address type="dimm" slot="0"/></memory>`,
  );
  return `<domain type="qemu"><name>web-1</name><maxMemory slots="16" unit="KiB">4194304</maxMemory><memory unit="KiB">${(512 + dimmsMiB.reduce((a, b) => a + b, 0)) * MiB}</memory>
<cpu><numa><cell id="0" cpus="0" memory="${512 * MiB}" unit="KiB"/></numa></cpu><devices>${dimms.join("")}</devices></domain>`;
}

function status(over: { running?: boolean; state?: "connected" | "disconnected"; since?: string; capabilities?: string[] } = {}): GuestStatus {
  return {
    hostId: "local",
    uuid: UUID,
    name: "web-1",
    running: over.running ?? true,
    agent: {
      state: over.state ?? "connected",
      since: over.since ?? "2026-11-28T10:00:00.000Z",
      transport: null,
      info: { capabilities: over.capabilities ?? ["hotplug.online"] } as never,
      telemetry: null,
      telemetryAt: null,
      lastError: null,
      handshakes: 1,
      dropped: 0,
      telemetryDropped: 0,
      channel: true,
    },
    qga: { channel: false, connected: false },
  };
}

/** A hub that emits what the test says, a connection whose VM has `dimms`, and a record of what was asked. */
function harness(dimmsMiB: number[], report: GuestOnlineReport = { state: "online", cpusOnline: 1, cpusOnlined: [], memoryOnlined: [4, 5] }) {
  const hub = new EventEmitter<GuestHubEvents>() as EventEmitter<GuestHubEvents> & BootMemoryHub;
  hub.list = () => [];
  const asked: { vm: GuestVm; want: HotplugWant }[] = [];
  const logs: string[] = [];
  let settle: () => void = () => undefined;
  const conn = {
    domainLookupByUuid: async () => ({ name: "web-1", uuid: Buffer.alloc(16), id: 3 }),
    domainGetXmlDesc: async () => domainXml(dimmsMiB),
  } as unknown as Connection;
  const stop = onlineBootMemory(hub, {
    connection: (hostId) => (hostId === "local" ? conn : null),
    online: async (vm, want) => {
      asked.push({ vm, want });
      return report;
    },
    log: (line) => {
      logs.push(line);
      settle();
    },
  });
  /** Resolves at the next log line: the handling of a status is asynchronous. */
  const nextLog = () => new Promise<void>((resolve) => (settle = resolve));
  return { hub, asked, logs, stop, nextLog };
}

describe("bootModulesWant", () => {
  it("is the boot memory plus every module of the running VM", () => {
    assert.deepEqual(bootModulesWant(domainXml([128, 256])), { memoryKiB: 896 * MiB });
  });
  it("is null for a VM without modules: nothing to online", () => {
    assert.equal(bootModulesWant(domainXml([])), null);
  });
});

describe("onlineBootMemory", () => {
  it("asks a VM's newly connected agent to online its boot-time modules, naming the VM in what it logs", async () => {
    const { hub, asked, logs, nextLog } = harness([128]);
    const logged = nextLog();
    hub.emit("status", status());
    await logged;
    assert.deepEqual(
      asked.map((a) => [a.vm.context, a.want]),
      [['VM "web-1" on host "local"', { memoryKiB: 640 * MiB }]],
    );
    assert.deepEqual(logs, ['VM "web-1" on host "local": onlined 2 memory block(s) of the modules it booted with']);
  });

  it("acts once per agent connection: repeated statuses of the same connection ask nothing more; a reconnect asks again", async () => {
    const { hub, asked, nextLog } = harness([128]);
    let logged = nextLog();
    hub.emit("status", status());
    await logged;
    hub.emit("status", status());
    hub.emit("status", status({ state: "disconnected", since: "2026-11-28T10:01:00.000Z" }));
    logged = nextLog();
    hub.emit("status", status({ since: "2026-11-28T10:02:00.000Z" }));
    await logged;
    assert.equal(asked.length, 2);
  });

  it("leaves alone a VM without modules, an agent without hotplug.online, and statuses after the unsubscribe", async () => {
    const without = harness([]);
    without.hub.emit("status", status());
    const noCapability = harness([128]);
    noCapability.hub.emit("status", status({ capabilities: ["exec"] }));
    const stopped = harness([128]);
    stopped.stop();
    stopped.hub.emit("status", status());
    // The lookup and the XML read are two awaits: give them their turns before looking.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual([without.asked.length, noCapability.asked.length, stopped.asked.length], [0, 0, 0]);
  });

  it("says in words when the guest left memory offline", async () => {
    const { hub, logs, nextLog } = harness([128], {
      state: "partial",
      cpusOnline: 1,
      cpusOnlined: [],
      memoryOnlined: [],
      reason: "the guest refused: memory4 (EBUSY)",
    });
    const logged = nextLog();
    hub.emit("status", status());
    await logged;
    assert.deepEqual(logs, ['VM "web-1" on host "local": memory modules it booted with not all online: the guest refused: memory4 (EBUSY)']);
  });
});

// The hub against the real agent bundle, with QEMU's channel end and libvirt played by test
// doubles (server/guest/testing/fake-host.ts). The real virtio-serial channel and libvirtd are
// exercised by e2e/integration/guest-agent.itest.ts.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { ErrorCode, PROTOCOL_VERSION } from "@/agent/protocol";
import { AGENT_CHANNEL, QGA_CHANNEL } from "../domains/xml";
import { VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED, VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STOPPED } from "../libvirt";
import { isGuestError } from "./errors";
import { GuestHub, type GuestStatus } from "./hub";
import { FakeChannel, FakeGuestAgent, FakeLibvirt, tempDir } from "./testing/fake-host";
import { downloadFile, uploadFile } from "./transfer";

const HOST = "local";

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let cleanup: () => Promise<void>;
let channel: FakeChannel;
let agent: FakeGuestAgent;
let libvirt: FakeLibvirt;
let hub: GuestHub | null = null;
const uuid = randomUUID();

function newHub(tuning = {}): GuestHub {
  hub = new GuestHub({ hosts: () => [{ id: HOST, uri: libvirt.uri }], connect: () => libvirt.asConnection(), tuning });
  return hub;
}

const status = (): GuestStatus | null => hub?.status(HOST, uuid) ?? null;
const connected = () => (status()?.agent.state === "connected" ? status() : null);

/**
 * exec_command arguments for a command the test holds: it writes its pid to `started` once the
 * agent runs it, then waits until `release` exists. The test sees the call in flight instead of
 * guessing how long that takes, and decides when it ends.
 */
function heldCommand(started: string, release: string) {
  return { command: "sh", args: ["-c", 'echo $$ > "$0"; while [ ! -e "$1" ]; do sleep 0.05; done', started, release] };
}

/** The pid a held command wrote, once it is running. */
function runningPid(started: string): number | null {
  const pid = existsSync(started) ? Number(readFileSync(started, "utf8").trim()) : 0;
  return pid > 0 ? pid : null;
}

before(async () => {
  ({ dir, cleanup } = await tempDir());
});
after(async () => {
  await cleanup();
});

beforeEach(async () => {
  channel = await FakeChannel.create(dir);
  agent = await FakeGuestAgent.create(channel, dir, { telemetry_interval_s: 0.5 });
  libvirt = new FakeLibvirt();
});
afterEach(async () => {
  await hub?.stop();
  hub = null;
  await agent.kill();
  await channel.close();
});

describe("guest hub", () => {
  test("connects to a running VM found by its first scan, with the agent's identity and telemetry", async () => {
    libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } });
    await agent.start();
    await newHub().start();
    const s = await until("the agent to connect", connected);
    assert.equal(s.name, "web-1");
    assert.equal(s.agent.transport, "socket");
    assert.equal(s.agent.info?.protocol_version, PROTOCOL_VERSION);
    assert.ok(s.agent.info?.capabilities.includes("exec"));
    assert.equal(s.agent.handshakes, 1);
    assert.deepEqual(s.qga, { channel: false, connected: false });
    assert.equal((await hub!.call(HOST, uuid, "ping")).pong, true);
    await until("a telemetry notification", () => status()?.agent.telemetryAt);
    assert.equal(status()!.agent.telemetry!.memory.total_bytes, os.totalmem(), "the agent runs on this machine: its memory");
  });

  test("waits for agent.ready when no agent holds the port, then connects without polling for it", async () => {
    libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "disconnected" } });
    // A probe interval far longer than the test: only the agent's announcement can connect it.
    await newHub({ probeDelayMs: { min: 600_000, max: 600_000 } }).start();
    await until("the channel to be open", () => channel.hostConnections === 1);
    assert.notEqual(status()?.agent.state, "connected");
    await assert.rejects(hub!.call(HOST, uuid, "ping", {}, { waitMs: 0 }), (err) => isGuestError(err, "not_connected"));
    await agent.start();
    await until("the agent to connect after it started", connected);
  });

  test("reconnects by itself when the agent is killed and comes back", async () => {
    libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } });
    await agent.start();
    await newHub().start();
    const first = await until("the agent to connect", connected);
    const started = `${dir}/killed-started`;
    const slow = hub!.call(HOST, uuid, "exec_command", heldCommand(started, `${dir}/killed-release`));
    const orphan = await until("the agent to run the command", () => runningPid(started));
    try {
      await agent.kill();
      await agent.start();
      await assert.rejects(slow, (err: Error & { code?: number }) => err.code === ErrorCode.InternalError, "the call in flight is failed, not left hanging");
    } finally {
      // SIGKILL left the agent's child behind.
      process.kill(orphan);
    }
    const second = await until("the restarted agent to connect", () => {
      const s = connected();
      return s && s.agent.info?.pid !== first.agent.info?.pid ? s : null;
    });
    assert.equal(second.agent.handshakes, 2);
    assert.equal(channel.hostConnections, 1, "the channel itself stayed open");
    assert.equal((await hub!.call(HOST, uuid, "ping")).pong, true);
  });

  test("re-opens the channel when the guest reboots, and when QEMU drops it", async () => {
    const d = libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } });
    await agent.start();
    await newHub().start();
    await until("the agent to connect", connected);
    libvirt.emit({ kind: "reboot", callbackID: 1, dom: d.dom });
    await until("a second channel connection", () => channel.hostConnections === 2);
    await until("the agent to answer again", () => (connected()?.agent.handshakes === 2 ? true : null));
    channel.dropHost();
    await until("a third channel connection", () => channel.hostConnections === 3);
    await until("the agent to answer on it", () => (connected()?.agent.handshakes === 3 ? true : null));
  });

  test("follows lifecycle events: a VM that starts is connected, one that stops is forgotten", async () => {
    const d = libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } }, false);
    await agent.start();
    await newHub().start();
    assert.equal(status(), null);
    libvirt.setRunning(uuid, true);
    libvirt.emit({ kind: "lifecycle", callbackID: 1, dom: d.dom, event: VIR_DOMAIN_EVENT_STARTED, detail: 0 });
    await until("the agent to connect", connected);
    const events: GuestStatus[] = [];
    hub!.on("status", (s) => events.push(s));
    libvirt.setRunning(uuid, false);
    libvirt.emit({ kind: "lifecycle", callbackID: 1, dom: d.dom, event: VIR_DOMAIN_EVENT_STOPPED, detail: 0 });
    await until("the VM to be forgotten", () => status() === null);
    assert.equal(events.at(-1)?.running, false);
    await assert.rejects(hub!.call(HOST, uuid, "ping"), (err) => isGuestError(err, "not_running"));
  });

  test("a VM without the agent channel is tracked for qemu-ga only", async () => {
    const d = libvirt.addDomain(uuid, "legacy", { [QGA_CHANNEL]: { path: "/nonexistent", state: "disconnected" } });
    await newHub().start();
    const s = await until("the VM to be seen", status);
    assert.deepEqual([s.agent.channel, s.qga.channel, s.qga.connected], [false, true, false]);
    await assert.rejects(hub!.call(HOST, uuid, "ping"), (err) => isGuestError(err, "no_channel"));
    libvirt.emit({ kind: "agentLifecycle", callbackID: 1, dom: d.dom, state: VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED, reason: 2 });
    await until("qemu-ga to be seen connected", () => status()?.qga.connected);
  });

  test("a slow call does not hold up others, and files round-trip in chunks", async () => {
    libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } });
    await agent.start();
    await newHub().start();
    await until("the agent to connect", connected);
    const order: string[] = [];
    const [started, release] = [`${dir}/slow-started`, `${dir}/slow-release`];
    const slow = hub!.call(HOST, uuid, "exec_command", heldCommand(started, release)).then(() => order.push("slow"));
    await until("the agent to run the slow command", () => runningPid(started));
    let pingFailed: unknown;
    const fast = hub!.call(HOST, uuid, "ping").then(
      () => order.push("fast"),
      (error: unknown) => void (pingFailed = error ?? "rejected"),
    );
    await until("the ping to be answered while the slow call runs", () => {
      if (pingFailed) throw pingFailed;
      return order.includes("fast");
    });
    writeFileSync(release, "");
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ["fast", "slow"]);

    const call = hub!.call.bind(hub, HOST, uuid) as Parameters<typeof uploadFile>[0];
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 0);
    for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
    const path = `${dir}/upload.bin`;
    const up = await uploadFile(call, path, data, { chunkBytes: 512 * 1024 });
    const down = await downloadFile(call, path, { chunkBytes: 700 * 1024 });
    assert.equal(down.sha256, up.sha256);
    assert.ok(down.data.equals(data));
  });

  test("a restarted hub connects again to the same agent", async () => {
    libvirt.addDomain(uuid, "web-1", { [AGENT_CHANNEL]: { path: channel.hostPath, state: "connected" } });
    await agent.start();
    await newHub().start();
    const first = await until("the agent to connect", connected);
    await hub!.stop();
    await until("the channel to be released", () => !channel.hostConnected);
    await newHub().start();
    const again = await until("the agent to connect to the new hub", connected);
    assert.equal(again.agent.info?.pid, first.agent.info?.pid, "same agent process");
  });
});

// One VM's session against a scripted agent that floods it: what reaches the hub (and from there
// every open browser) stays bounded per VM, whatever the guest sends. The clock of the rate
// limits is the test's, so nothing here waits for real seconds.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { exampleAgentInfo, exampleMetrics } from "@/agent/protocol/examples";
import { AgentSession, type AgentStatus, type SessionTuning } from "./session";
import { ScriptedAgent } from "./testing/scripted-agent";

const CONTEXT = 'VM "web-1" on host "local"';

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets the session read everything written so far. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

let session: AgentSession | null = null;

afterEach(async () => {
  await session?.stop();
  session = null;
});

/** A connected session on a scripted agent, with a clock the test moves and the log kept. */
async function connected(tuning: Partial<SessionTuning> = {}) {
  const agent = new ScriptedAgent();
  const clock = { now: 1_000_000 };
  const logged: string[] = [];
  session = new AgentSession({
    context: CONTEXT,
    open: agent.open,
    guestConnected: () => true,
    now: () => clock.now,
    log: (line) => logged.push(line),
    tuning,
  });
  const seen = { telemetry: 0, statuses: [] as AgentStatus[] };
  session.on("telemetry", () => seen.telemetry++);
  session.on("status", (status) => seen.statuses.push(status));
  session.start();
  await session.waitConnected(5_000);
  seen.statuses.length = 0;
  return { agent, clock, logged, seen, session };
}

const telemetry = { jsonrpc: "2.0", method: "telemetry", params: exampleMetrics };

describe("agent session under a flood", () => {
  test("passes on one telemetry notification per VM per second; the rest are dropped, not queued", async () => {
    const { agent, clock, seen, session } = await connected();
    for (let i = 0; i < 1_000; i++) agent.send(telemetry);
    await settle();
    assert.equal(seen.telemetry, 1);
    assert.equal(session.status().telemetryDropped, 999);
    clock.now += 999;
    agent.send(telemetry);
    await settle();
    assert.equal(seen.telemetry, 1, "still within the second");
    clock.now += 1;
    agent.send(telemetry);
    await settle();
    await settle();
    assert.equal(seen.telemetry, 2, "one more a second later, and none of the dropped ones");
  });

  test("counts what it drops and logs it once a minute, naming the VM and host, without status events", async () => {
    const { agent, clock, logged, seen, session } = await connected();
    for (let i = 0; i < 5_000; i++) agent.write(i % 2 ? "not json\n" : `${JSON.stringify([telemetry, telemetry])}\n`);
    await settle();
    assert.equal(session.status().dropped, 5_000);
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.startsWith(`${CONTEXT}: guest agent: dropped a message`), logged[0]);
    assert.equal(seen.statuses.length, 0, "a drop is not a status change");
    clock.now += 60_000;
    agent.write("still not json\n");
    await settle();
    assert.equal(logged.length, 2);
    assert.match(logged[1]!, /dropped 5000 messages \(since the last report\)/);
    assert.equal((await session.call("ping")).pong, true);
  });

  test("re-syncs once for a flood of agent.ready, not once per line", async () => {
    const { agent, clock, seen, session } = await connected();
    const syncs = () => agent.requests.filter((r) => r.method === "sync").length;
    const before = syncs();
    for (let i = 0; i < 1_000; i++) agent.send({ jsonrpc: "2.0", method: "agent.ready", params: agent.info });
    await settle();
    await settle();
    assert.equal(syncs(), before, "the next handshake waits for the gap");
    assert.equal(session.status().state, "connecting");
    clock.now += 1_000;
    session.nudge();
    await until("the agent to be connected again", () => session.status().state === "connected");
    assert.equal(syncs(), before + 1);
    assert.equal(session.status().handshakes, 2);
    assert.ok(seen.statuses.length <= 3, `${seen.statuses.length} status events`);
    assert.equal((await session.call("ping")).pong, true);
  });

  test("stores no agent info out of bounds: a 5 MB hostname fails the handshake", async () => {
    const { agent, clock, session } = await connected();
    const restarted = agent.info;
    agent.info = { ...agent.info, platform: { ...agent.info.platform, hostname: "h".repeat(5_000_000) } };
    agent.send({ jsonrpc: "2.0", method: "agent.ready", params: restarted });
    clock.now += 1_000;
    await settle();
    session.nudge();
    await until("the handshake to fail", () => session.status().lastError?.includes("does not match the schema"));
    assert.notEqual(session.status().info?.platform.hostname.length, 5_000_000);
  });
});

describe("agent session when the agent goes quiet", () => {
  test("pings an agent silent for idlePingMs; one that stops answering is shown disconnected with why, and connected again when it announces itself", async () => {
    const { agent, clock, seen, session } = await connected({ idlePingMs: 40, idlePingTimeoutMs: 100 });
    await until("two answered pings", () => agent.requests.filter((r) => r.method === "ping").length >= 2);
    assert.equal(session.status().state, "connected", "an agent that answers its pings stays connected");
    agent.silent = true;
    const gone = await until("the session to give the agent up", () => seen.statuses.find((s) => s.state === "disconnected"));
    assert.equal(gone.lastError, "the agent stopped answering: no reply to a ping within 0.1 s");
    await assert.rejects(session.call("ping", {}, { waitMs: 0 }), /the guest agent is not connected \(the agent stopped answering/);
    agent.silent = false;
    clock.now += 2_000; // past the gap between handshakes
    agent.send({ jsonrpc: "2.0", method: "agent.ready", params: exampleAgentInfo });
    await session.waitConnected(5_000);
    assert.equal(agent.opened, 1, "the same channel, never re-opened");
  });

  test("sends no ping while the agent talks: telemetry counts as a sign of life", async () => {
    const { agent } = await connected({ idlePingMs: 200, idlePingTimeoutMs: 100 });
    const deadline = Date.now() + 600;
    while (Date.now() < deadline) {
      agent.send(telemetry);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(
      agent.requests.filter((r) => r.method === "ping"),
      [],
    );
  });
});

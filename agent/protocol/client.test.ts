import assert from "node:assert/strict";
import { once } from "node:events";
import { Duplex, PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { AgentClient } from "./client";
import { ErrorCode, RpcError } from "./errors";
import { exampleAgentInfo, exampleMetrics } from "./examples";
import { LineDecoder } from "./framing";

/** Plays the agent: reads the client's requests and writes whatever the test wants. */
function fakeAgent() {
  const toClient = new PassThrough();
  const toAgent = new PassThrough();
  const decoder = new LineDecoder();
  const requests: Array<{ id: unknown; method: string; params: Record<string, unknown> }> = [];
  const waiters: Array<() => void> = [];
  toAgent.on("data", (chunk: Buffer) => {
    for (const item of decoder.push(chunk)) {
      if (item.kind === "line") requests.push(JSON.parse(item.line.toString()));
    }
    waiters.splice(0).forEach((wake) => wake());
  });
  const nextRequest = async (index: number) => {
    while (requests.length <= index) await new Promise<void>((wake) => waiters.push(wake));
    return requests[index]!;
  };
  const send = (message: unknown) => toClient.write(`${JSON.stringify(message)}\n`);
  return { stream: Duplex.from({ readable: toClient, writable: toAgent }), nextRequest, send, requests, toClient };
}

describe("AgentClient", () => {
  it("discards stale lines until the sync answer, then resolves calls by id", async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    const synced = client.sync();
    agent.toClient.write('{"jsonrpc":"2.0","id":99,"result":{"pong":true,"time":"x"}}\npartial garb');
    const sync = await agent.nextRequest(0);
    assert.equal(sync.method, "sync");
    agent.send({ jsonrpc: "2.0", id: "sync-wrong", result: { id: "wrong" } });
    agent.send({ jsonrpc: "2.0", id: sync.id, result: { id: sync.params.id } });
    await synced;
    assert.equal(client.synced, true);

    const pong = client.call("ping");
    const ping = await agent.nextRequest(1);
    agent.send({ jsonrpc: "2.0", id: ping.id, result: { pong: true, time: "2025-01-01T00:00:00.000Z" } });
    assert.deepEqual(await pong, { pong: true, time: "2025-01-01T00:00:00.000Z" });
  });

  it("re-sends sync at once when the agent announces itself", async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    const ready = once(client, "agent.ready");
    const synced = client.sync({ retryMs: 60_000 });
    await agent.nextRequest(0);
    agent.send({ jsonrpc: "2.0", method: "agent.ready", params: exampleAgentInfo });
    const second = await agent.nextRequest(1);
    assert.equal(second.method, "sync");
    agent.send({ jsonrpc: "2.0", id: second.id, result: { id: second.params.id } });
    await synced;
    assert.deepEqual((await ready)[0], exampleAgentInfo);
  });

  it("turns error responses, timeouts and schema mismatches into RpcErrors", async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream, { timeoutMs: 50 });
    const synced = client.sync();
    const sync = await agent.nextRequest(0);
    agent.send({ jsonrpc: "2.0", id: sync.id, result: { id: sync.params.id } });
    await synced;

    const failing = client.call("file_stat", { path: "/etc/shadow" });
    const request = await agent.nextRequest(1);
    agent.send({ jsonrpc: "2.0", id: request.id, error: { code: ErrorCode.PathNotAllowed, message: "not allowed" } });
    await assert.rejects(failing, (error: RpcError) => error.code === ErrorCode.PathNotAllowed && /file_stat/.test(error.message));

    await assert.rejects(client.call("ping"), (error: RpcError) => error.code === ErrorCode.Timeout);

    const bad = client.call("ping", {}, { timeoutMs: 5_000 });
    const third = await agent.nextRequest(3);
    agent.send({ jsonrpc: "2.0", id: third.id, result: { pong: "yes" } });
    await assert.rejects(bad, (error: RpcError) => error.code === ErrorCode.InternalError);

    await assert.rejects(client.call("file_read", { path: 5 } as never), (error: RpcError) => error.code === ErrorCode.InvalidParams);
  });

  it("refuses calls before sync and fails calls in flight when the channel closes", async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    await assert.rejects(client.call("ping"), /not synchronised/);
    const synced = client.sync();
    const sync = await agent.nextRequest(0);
    agent.send({ jsonrpc: "2.0", id: sync.id, result: { id: sync.params.id } });
    await synced;
    const lost = client.call("ping");
    await agent.nextRequest(1);
    agent.stream.destroy();
    await assert.rejects(lost, /channel closed/);
  });
});

/** A client synced with a fake agent, collecting what it emits. */
async function syncedClient(options: ConstructorParameters<typeof AgentClient>[1] = {}) {
  const agent = fakeAgent();
  const client = new AgentClient(agent.stream, options);
  const synced = client.sync();
  const sync = await agent.nextRequest(0);
  agent.send({ jsonrpc: "2.0", id: sync.id, result: { id: sync.params.id } });
  await synced;
  const seen = { telemetry: 0, dropped: [] as string[] };
  client.on("telemetry", () => seen.telemetry++);
  client.on("protocol-error", (error) => seen.dropped.push(error.message));
  /** Lets the client read what was written. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { agent, client, seen, settle };
}

const telemetry = { jsonrpc: "2.0", method: "telemetry", params: exampleMetrics };

describe("AgentClient with a hostile agent", () => {
  it("refuses a batch: 20,000 telemetry notifications on one 11 MiB line are one drop, not 20,000 events", async () => {
    const { agent, seen, settle } = await syncedClient();
    const batch = `${JSON.stringify(Array.from({ length: 20_000 }, () => telemetry))}\n`;
    assert.ok(batch.length > 10.9 * 1024 * 1024, `${batch.length} bytes`);
    agent.toClient.write(batch);
    await settle();
    assert.equal(seen.telemetry, 0);
    assert.equal(seen.dropped.length, 1);
    assert.match(seen.dropped[0]!, /batch/);
  });

  it("drops a telemetry notification out of bounds (40,000 disks), and a 2 MiB line while no call waits", async () => {
    const { agent, seen, settle } = await syncedClient();
    const disks = Array.from({ length: 40_000 }, (_, i) => ({ ...exampleMetrics.disks[0]!, device: `fake${i}` }));
    agent.send({ ...telemetry, params: { ...exampleMetrics, disks } });
    agent.send({ ...telemetry, params: { ...exampleMetrics, disks: disks.slice(0, 64) } });
    await settle();
    assert.equal(seen.telemetry, 1, "the one within bounds");
    assert.deepEqual(
      seen.dropped.map((m) => /not match the schema|while no call waited/.test(m)),
      [true],
    );
    agent.send({ ...telemetry, params: { ...exampleMetrics, padding: "x".repeat(2 * 1024 * 1024) } });
    await settle();
    assert.match(seen.dropped[1]!, /while no call waited/);
    assert.equal(seen.telemetry, 1);
  });

  it("survives lines that nest too deeply to parse or to print", async () => {
    const { agent, client, seen, settle } = await syncedClient();
    agent.toClient.write(`{"jsonrpc":"1.0","x":${"[".repeat(200_000)}${"]".repeat(200_000)}}\n`);
    agent.toClient.write(`{"jsonrpc":"1.0","x":${"[".repeat(20)}${"]".repeat(20)}}\n`);
    await settle();
    assert.match(seen.dropped[0]!, /deeper than 32/);
    assert.match(seen.dropped[1]!, /not a JSON-RPC response or notification: "\{\\"jsonrpc\\"/);
    const pong = client.call("ping");
    const ping = await agent.nextRequest(1);
    agent.send({ jsonrpc: "2.0", id: ping.id, result: { pong: true, time: "2025-01-01T00:00:00.000Z" } });
    assert.equal((await pong).pong, true);
  });

  it("reports answers nobody waits for, unknown notifications and invalid JSON as drops", async () => {
    const { agent, seen, settle } = await syncedClient();
    agent.send({ jsonrpc: "2.0", id: 4242, result: { pong: true } });
    agent.send({ jsonrpc: "2.0", method: "pwned", params: {} });
    agent.toClient.write('{"jsonrpc":"2.0","id":\x1b[31m\n');
    await settle();
    assert.equal(seen.dropped.length, 3);
    assert.match(seen.dropped[0]!, /answer to no call waiting \(id 4242/);
    assert.match(seen.dropped[1]!, /unknown notification "pwned"/);
    assert.ok(!seen.dropped[2]!.includes("\x1b"), "control characters from the guest are escaped");
  });

  it("cuts an error message to 4 KiB and drops error data that is not small", async () => {
    const { agent, client } = await syncedClient();
    const failing = client.call("ping");
    const ping = await agent.nextRequest(1);
    agent.send({ jsonrpc: "2.0", id: ping.id, error: { code: -32000, message: "m".repeat(1_000_000), data: { list: Array(100_000).fill(1) } } });
    await assert.rejects(failing, (error: RpcError) => {
      assert.ok(error.message.length < 4_200, `${error.message.length} characters`);
      assert.deepEqual(error.data, { dropped: "the error data exceeded the host's bounds" });
      return true;
    });
  });

  it("keeps at most ten schema issues of a refused result", async () => {
    const { agent, client } = await syncedClient();
    const listing = client.call("get_users");
    const request = await agent.nextRequest(1);
    agent.send({ jsonrpc: "2.0", id: request.id, result: { sessions: Array.from({ length: 500 }, () => ({ user: 1 })) } });
    await assert.rejects(listing, (error: RpcError) => (error.data as { issues: unknown[] }).issues.length <= 10);
  });

  it("asks admitTelemetry before checking a telemetry notification", async () => {
    let admitted = 0;
    const { agent, seen, settle } = await syncedClient({ admitTelemetry: () => admitted++ < 1 });
    for (let i = 0; i < 100; i++) agent.send(telemetry);
    await settle();
    assert.equal(seen.telemetry, 1);
    assert.equal(admitted, 100);
  });

  it("answers a flood of agent.ready during the handshake with one extra sync per retry period", async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    const synced = client.sync({ retryMs: 60_000 });
    await agent.nextRequest(0);
    for (let i = 0; i < 1_000; i++) agent.send({ jsonrpc: "2.0", method: "agent.ready", params: exampleAgentInfo });
    const second = await agent.nextRequest(1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(agent.requests.length, 2, "the first sync and one more");
    agent.send({ jsonrpc: "2.0", id: second.id, result: { id: second.params.id } });
    await synced;
  });
});

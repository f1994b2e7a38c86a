import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { AgentClient } from './client';
import { ErrorCode, RpcError } from './errors';
import { exampleAgentInfo } from './examples';
import { LineDecoder } from './framing';

/** Plays the agent: reads the client's requests and writes whatever the test wants. */
function fakeAgent() {
  const toClient = new PassThrough();
  const toAgent = new PassThrough();
  const decoder = new LineDecoder();
  const requests: Array<{ id: unknown; method: string; params: Record<string, unknown> }> = [];
  const waiters: Array<() => void> = [];
  toAgent.on('data', (chunk: Buffer) => {
    for (const item of decoder.push(chunk)) {
      if (item.kind === 'line') requests.push(JSON.parse(item.line.toString()));
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

describe('AgentClient', () => {
  it('discards stale lines until the sync answer, then resolves calls by id', async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    const synced = client.sync();
    agent.toClient.write('{"jsonrpc":"2.0","id":99,"result":{"pong":true,"time":"x"}}\npartial garb');
    const sync = await agent.nextRequest(0);
    assert.equal(sync.method, 'sync');
    agent.send({ jsonrpc: '2.0', id: 'sync-wrong', result: { id: 'wrong' } });
    agent.send({ jsonrpc: '2.0', id: sync.id, result: { id: sync.params.id } });
    await synced;
    assert.equal(client.synced, true);

    const pong = client.call('ping');
    const ping = await agent.nextRequest(1);
    agent.send({ jsonrpc: '2.0', id: ping.id, result: { pong: true, time: '2025-01-01T00:00:00.000Z' } });
    assert.deepEqual(await pong, { pong: true, time: '2025-01-01T00:00:00.000Z' });
  });

  it('re-sends sync at once when the agent announces itself', async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    const ready = once(client, 'agent.ready');
    const synced = client.sync({ retryMs: 60_000 });
    await agent.nextRequest(0);
    agent.send({ jsonrpc: '2.0', method: 'agent.ready', params: exampleAgentInfo });
    const second = await agent.nextRequest(1);
    assert.equal(second.method, 'sync');
    agent.send({ jsonrpc: '2.0', id: second.id, result: { id: second.params.id } });
    await synced;
    assert.deepEqual((await ready)[0], exampleAgentInfo);
  });

  it('turns error responses, timeouts and schema mismatches into RpcErrors', async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream, { timeoutMs: 50 });
    const synced = client.sync();
    const sync = await agent.nextRequest(0);
    agent.send({ jsonrpc: '2.0', id: sync.id, result: { id: sync.params.id } });
    await synced;

    const failing = client.call('file_stat', { path: '/etc/shadow' });
    const request = await agent.nextRequest(1);
    agent.send({ jsonrpc: '2.0', id: request.id, error: { code: ErrorCode.PathNotAllowed, message: 'not allowed' } });
    await assert.rejects(failing, (error: RpcError) => error.code === ErrorCode.PathNotAllowed && /file_stat/.test(error.message));

    await assert.rejects(client.call('ping'), (error: RpcError) => error.code === ErrorCode.Timeout);

    const bad = client.call('ping', {}, { timeoutMs: 5_000 });
    const third = await agent.nextRequest(3);
    agent.send({ jsonrpc: '2.0', id: third.id, result: { pong: 'yes' } });
    await assert.rejects(bad, (error: RpcError) => error.code === ErrorCode.InternalError);

    await assert.rejects(client.call('file_read', { path: 5 } as never), (error: RpcError) => error.code === ErrorCode.InvalidParams);
  });

  it('refuses calls before sync and fails calls in flight when the channel closes', async () => {
    const agent = fakeAgent();
    const client = new AgentClient(agent.stream);
    await assert.rejects(client.call('ping'), /not synchronised/);
    const synced = client.sync();
    const sync = await agent.nextRequest(0);
    agent.send({ jsonrpc: '2.0', id: sync.id, result: { id: sync.params.id } });
    await synced;
    const lost = client.call('ping');
    await agent.nextRequest(1);
    agent.stream.destroy();
    await assert.rejects(lost, /channel closed/);
  });
});

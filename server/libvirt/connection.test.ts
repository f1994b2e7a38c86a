// Connection's handshake and event routing against a scripted stand-in for
// libvirtd (the real one is covered by the *.itest.ts files).
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { Connection } from './connection';
import { LibvirtConnectionError } from './errors';
import type { DomainEvent } from './generated/events';
import * as p from './generated/protocol';
import type { Packet } from './packet';
import { startFakeLibvirtd, type FakeLibvirtd } from './testing/fake-libvirtd';
import { waitFor } from './testing/libvirtd';
import { XdrReader, type XdrWriter } from './xdr';

type Handler = (packet: Packet) => ((w: XdrWriter) => void) | undefined;

let server: FakeLibvirtd;
let serving = true;

beforeEach(async () => {
  server = await startFakeLibvirtd();
  serving = true;
});

afterEach(async () => {
  serving = false;
  await server.close();
});

/** Answers every call with the handler for its procedure (an empty reply when there is none). */
function serve(handlers: Partial<Record<number, Handler>>, calls: number[] = []): number[] {
  void (async () => {
    while (serving) {
      const packet = await server.next((pk) => pk.header.type === p.VIR_NET_CALL);
      calls.push(packet.header.procedure);
      const body = handlers[packet.header.procedure]?.(packet);
      server.send({ ...packet.header, type: p.VIR_NET_REPLY, status: p.VIR_NET_OK }, body);
    }
  })();
  return calls;
}

const uri = () => `test+unix:///default?socket=${server.path}`;
const authList = (types: number[]) => () => (w: XdrWriter) => p.encodeAuthListRet(w, { types });

test('authenticates with polkit when libvirtd asks for it, then opens the URI without client parameters', async () => {
  let openedName: string | null = null;
  const calls = serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_POLKIT]),
    [p.REMOTE_PROC_AUTH_POLKIT]: () => (w) => p.encodeAuthPolkitRet(w, { complete: 1 }),
    [p.REMOTE_PROC_CONNECT_OPEN]: (pk) => {
      openedName = p.decodeConnectOpenArgs(new XdrReader(pk.body)).name;
      return undefined;
    },
    [p.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE]: () => (w) => p.encodeConnectSupportsFeatureRet(w, { supported: 0 }),
  });
  const conn = await Connection.open(uri());
  assert.deepEqual(calls, [p.REMOTE_PROC_AUTH_LIST, p.REMOTE_PROC_AUTH_POLKIT, p.REMOTE_PROC_CONNECT_OPEN, p.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE]);
  assert.equal(openedName, 'test:///default');
  await conn.close();
});

test('refuses SASL-only daemons with a clear connect error', async () => {
  serve({ [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_SASL]) });
  const err = await Connection.open(uri()).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === 'connect');
  assert.match(err.message, /only none and polkit are supported/);
});

test('routes events to subscribers of their kind and drops events of unknown callbacks', async () => {
  serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_NONE]),
    [p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY]: () => (w) =>
      p.encodeConnectDomainEventCallbackRegisterAnyRet(w, { callbackID: 7 }),
  });
  const conn = await Connection.open(uri(), { keepaliveIntervalMs: 0 });
  const seen: DomainEvent[] = [];
  await conn.subscribeDomainEvents((ev) => seen.push(ev), ['lifecycle']);
  const dom = { name: 'web', uuid: Buffer.alloc(16, 1), id: 3 };
  const sendLifecycle = (callbackID: number, event: number) =>
    server.send(
      { program: p.REMOTE_PROGRAM, version: 1, procedure: p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 },
      (w) => p.encodeDomainEventCallbackLifecycleMsg(w, { callbackID, msg: { dom, event, detail: 1 } }),
    );
  sendLifecycle(99, 5); // not ours
  sendLifecycle(7, 2);
  await waitFor('the event', () => seen.length > 0, 5000);
  assert.deepEqual(seen, [{ kind: 'lifecycle', callbackID: 7, dom, event: 2, detail: 1 }]);
  await conn.close();
});

test('calls made before the connection opens wait for it', async () => {
  const conn = new Connection(uri(), { keepaliveIntervalMs: 0 });
  assert.equal(conn.state, 'idle');
  const typeCall = conn.connectGetType(); // starts connecting
  serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([]),
    [p.REMOTE_PROC_CONNECT_GET_TYPE]: () => (w) => p.encodeConnectGetTypeRet(w, { type: 'FAKE' }),
  });
  assert.equal(await typeCall, 'FAKE');
  assert.equal(conn.state, 'open');
  await conn.close();
});

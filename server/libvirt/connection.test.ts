// Connection's handshake and event routing against a scripted stand-in for
// libvirtd (the real one is covered by the *.itest.ts files).
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { Connection } from "./connection";
import { LibvirtConnectionError } from "./errors";
import type { DomainEvent, NetworkEvent, StoragePoolEvent } from "./generated/events";
import * as p from "./generated/protocol";
import type { Packet } from "./packet";
import { startFakeLibvirtd, type FakeLibvirtd } from "./testing/fake-libvirtd";
import { waitFor } from "./testing/libvirtd";
import { XdrReader, type XdrWriter } from "./xdr";

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

test("authenticates with polkit when libvirtd asks for it, then opens the URI without client parameters", async () => {
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
  assert.equal(openedName, "test:///default");
  await conn.close();
});

test("refuses SASL-only daemons with a clear connect error", async () => {
  serve({ [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_SASL]) });
  const err = await Connection.open(uri()).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "connect");
  assert.match(err.message, /only none and polkit are supported/);
});

test("routes events to subscribers of their kind and drops events of unknown callbacks", async () => {
  serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_NONE]),
    [p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY]: () => (w) => p.encodeConnectDomainEventCallbackRegisterAnyRet(w, { callbackID: 7 }),
  });
  const conn = await Connection.open(uri(), { keepaliveIntervalMs: 0 });
  const seen: DomainEvent[] = [];
  await conn.subscribeDomainEvents((ev) => seen.push(ev), ["lifecycle"]);
  const dom = { name: "web", uuid: Buffer.alloc(16, 1), id: 3 };
  const sendLifecycle = (callbackID: number, event: number) =>
    server.send(
      { program: p.REMOTE_PROGRAM, version: 1, procedure: p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 },
      (w) => p.encodeDomainEventCallbackLifecycleMsg(w, { callbackID, msg: { dom, event, detail: 1 } }),
    );
  sendLifecycle(99, 5); // not ours
  sendLifecycle(7, 2);
  await waitFor("the event", () => seen.length > 0, 5000);
  assert.deepEqual(seen, [{ kind: "lifecycle", callbackID: 7, dom, event: 2, detail: 1 }]);
  await conn.close();
});

test("breaking out of a for-await loop over domainEvents() deregisters its callback", async () => {
  const calls = serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_NONE]),
    [p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY]: () => (w) => p.encodeConnectDomainEventCallbackRegisterAnyRet(w, { callbackID: 4 }),
  });
  const conn = await Connection.open(uri(), { keepaliveIntervalMs: 0 });
  const events = await conn.domainEvents(["lifecycle"]);
  const dom = { name: "web", uuid: Buffer.alloc(16, 1), id: 3 };
  server.send(
    { program: p.REMOTE_PROGRAM, version: 1, procedure: p.REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 },
    (w) => p.encodeDomainEventCallbackLifecycleMsg(w, { callbackID: 4, msg: { dom, event: 2, detail: 1 } }),
  );
  // The event is already on its way; if it were lost, the deadline ends the loop and the test fails below.
  const deadline = setTimeout(() => void events.return?.(), 5000);
  const seen: DomainEvent[] = [];
  for await (const ev of events) {
    seen.push(ev);
    break;
  }
  clearTimeout(deadline);
  assert.deepEqual(seen, [{ kind: "lifecycle", callbackID: 4, dom, event: 2, detail: 1 }]);
  await waitFor("the deregistration", () => calls.includes(p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY), 5000);
  await conn.close();
});

test("network and storage pool events reach only their own subscribers, and unsubscribing deregisters them", async () => {
  const registered: string[] = [];
  const calls = serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_NONE]),
    [p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY]: () => (w) => p.encodeConnectDomainEventCallbackRegisterAnyRet(w, { callbackID: 1 }),
    [p.REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY]: (pk) => {
      registered.push(`network ${p.decodeConnectNetworkEventRegisterAnyArgs(new XdrReader(pk.body)).eventID}`);
      return (w) => p.encodeConnectNetworkEventRegisterAnyRet(w, { callbackID: 2 });
    },
    [p.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY]: (pk) => {
      const { eventID } = p.decodeConnectStoragePoolEventRegisterAnyArgs(new XdrReader(pk.body));
      registered.push(`pool ${eventID}`);
      return (w) => p.encodeConnectStoragePoolEventRegisterAnyRet(w, { callbackID: 10 + eventID });
    },
  });
  const conn = await Connection.open(uri(), { keepaliveIntervalMs: 0 });
  const domains: DomainEvent[] = [];
  const networks: NetworkEvent[] = [];
  const pools: StoragePoolEvent[] = [];
  await conn.subscribeDomainEvents((ev) => domains.push(ev), ["lifecycle"]);
  const stopNetworks = await conn.subscribeNetworkEvents((ev) => networks.push(ev));
  const stopPools = await conn.subscribeStoragePoolEvents((ev) => pools.push(ev));
  assert.deepEqual(registered.sort(), ["network 0", "pool 0", "pool 1"]);

  const message = (procedure: number, body: (w: XdrWriter) => void) =>
    server.send({ program: p.REMOTE_PROGRAM, version: 1, procedure, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 }, body);
  const net = { name: "kvmm-net", uuid: Buffer.alloc(16, 1) };
  const pool = { name: "kvmm-pool", uuid: Buffer.alloc(16, 2) };
  // callbackID 1 is the domain registration's: a network event claiming it is not ours.
  message(p.REMOTE_PROC_NETWORK_EVENT_LIFECYCLE, (w) => p.encodeNetworkEventLifecycleMsg(w, { callbackID: 1, net, event: 0, detail: 0 }));
  message(p.REMOTE_PROC_NETWORK_EVENT_LIFECYCLE, (w) => p.encodeNetworkEventLifecycleMsg(w, { callbackID: 2, net, event: 2, detail: 0 }));
  message(p.REMOTE_PROC_STORAGE_POOL_EVENT_LIFECYCLE, (w) => p.encodeStoragePoolEventLifecycleMsg(w, { callbackID: 10, pool, event: 3, detail: 0 }));
  message(p.REMOTE_PROC_STORAGE_POOL_EVENT_REFRESH, (w) => p.encodeStoragePoolEventRefreshMsg(w, { callbackID: 11, pool }));
  await waitFor("the pool refresh event", () => pools.length === 2, 5000);
  assert.deepEqual(networks, [{ kind: "lifecycle", callbackID: 2, net, event: 2, detail: 0 }]);
  assert.deepEqual(pools, [
    { kind: "lifecycle", callbackID: 10, pool, event: 3, detail: 0 },
    { kind: "refresh", callbackID: 11, pool },
  ]);
  assert.deepEqual(domains, []);

  await stopNetworks();
  await stopPools();
  const deregistrations = calls.filter(
    (proc) => proc === p.REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY || proc === p.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY,
  );
  assert.deepEqual(
    deregistrations.sort((a, b) => a - b),
    [
      p.REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY,
      p.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY,
      p.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY,
    ],
  );
  assert.ok(!calls.includes(p.REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY), "the domain subscription is still wanted");
  await conn.close();
});

test("network and storage pool callbacks are registered again after a reconnection", async () => {
  const registered = { network: 0, pool: 0 };
  serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([p.REMOTE_AUTH_NONE]),
    [p.REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY]: () => (w) => p.encodeConnectNetworkEventRegisterAnyRet(w, { callbackID: 100 + ++registered.network }),
    [p.REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY]: () => (w) =>
      p.encodeConnectStoragePoolEventRegisterAnyRet(w, { callbackID: 200 + ++registered.pool }),
  });
  const conn = await Connection.open(uri(), { keepaliveIntervalMs: 0, reconnectDelayMs: { min: 10, max: 10 } });
  const networks: NetworkEvent[] = [];
  await conn.subscribeNetworkEvents((ev) => networks.push(ev));
  await conn.subscribeStoragePoolEvents(() => {}, ["lifecycle"]);
  assert.deepEqual(registered, { network: 1, pool: 1 });

  server.hangUp();
  await waitFor("both callbacks registered on the new session", () => registered.network === 2 && registered.pool === 2 && conn.state === "open", 5000);
  const net = { name: "kvmm-net", uuid: Buffer.alloc(16, 1) };
  for (const callbackID of [101, 102]) {
    server.send(
      { program: p.REMOTE_PROGRAM, version: 1, procedure: p.REMOTE_PROC_NETWORK_EVENT_LIFECYCLE, type: p.VIR_NET_MESSAGE, serial: 0, status: 0 },
      (w) => p.encodeNetworkEventLifecycleMsg(w, { callbackID, net, event: 3, detail: 0 }),
    );
  }
  await waitFor("the event on the new registration", () => networks.length > 0, 5000);
  // 101 was the first session's callback, gone with it.
  assert.deepEqual(
    networks.map((ev) => ev.callbackID),
    [102],
  );
  await conn.close();
});

test("calls made before the connection opens wait for it", async () => {
  const conn = new Connection(uri(), { keepaliveIntervalMs: 0 });
  assert.equal(conn.state, "idle");
  const typeCall = conn.connectGetType(); // starts connecting
  serve({
    [p.REMOTE_PROC_AUTH_LIST]: authList([]),
    [p.REMOTE_PROC_CONNECT_GET_TYPE]: () => (w) => p.encodeConnectGetTypeRet(w, { type: "FAKE" }),
  });
  assert.equal(await typeCall, "FAKE");
  assert.equal(conn.state, "open");
  await conn.close();
});

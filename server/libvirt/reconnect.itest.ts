// Connections that lose libvirtd come back by themselves. The first test
// restarts the real libvirtd (and restarts it again afterwards even when the
// test fails); the others cut or freeze a proxy in front of it, which is
// faster and leaves the shared daemon alone.
//
// The restart breaks whatever else is talking to libvirtd, so scripts/test.sh
// runs this file alone, in its own last phase, after the other integration
// tests and Playwright, holding the libvirtd lock other runs on this machine
// share. Do not run it by hand while anything else uses the machine's libvirtd.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Connection, LibvirtConnectionError, VIR_DOMAIN_EVENT_STARTED, type ConnectionState, type DomainEvent } from "./index";
import { libvirtdPid, startLibvirtd, stopLibvirtd, waitFor } from "./testing/libvirtd";
import { startSocketProxy, type SocketProxy } from "./testing/socket-proxy";

const URI = "test+unix:///default";
const LIBVIRTD_SOCKET = "/var/run/libvirt/libvirt-sock";
// libvirtd takes ~20 s to shut down and ~10 s to start on these machines.
const RESTART_MS = 90_000;

let proxy: SocketProxy;

before(async () => {
  proxy = await startSocketProxy(LIBVIRTD_SOCKET);
});

after(async () => {
  await proxy.close();
  startLibvirtd();
  await waitFor(
    "libvirtd to answer again",
    async () => {
      const c = await Connection.open(URI).catch(() => null);
      await c?.close();
      return c !== null;
    },
    RESTART_MS,
  );
});

function domainXml(name: string): string {
  return `<domain type='test'><name>${name}</name><memory>65536</memory><os><type>hvm</type></os></domain>`;
}

async function createAndDestroy(conn: Connection, prefix: string): Promise<string> {
  const name = `kvmm-test-${prefix}-${randomUUID().slice(0, 8)}`;
  const dom = await conn.domainCreateXml({ xmlDesc: domainXml(name), flags: 0 });
  await conn.domainDestroy({ dom });
  return name;
}

function startedEvent(seen: DomainEvent[], name: string) {
  return () => seen.find((ev) => ev.kind === "lifecycle" && ev.dom.name === name && ev.event === VIR_DOMAIN_EVENT_STARTED);
}

test("survives a libvirtd restart: a call made meanwhile waits and succeeds, events still arrive", { timeout: 3 * RESTART_MS }, async () => {
  assert.ok(libvirtdPid(), "libvirtd is running");
  const conn = new Connection(URI, { callWaitMs: RESTART_MS, reconnectDelayMs: { min: 50, max: 500 } });
  const states: ConnectionState[] = [];
  conn.onStateChange((state) => states.push(state));
  const seen: DomainEvent[] = [];
  try {
    await conn.subscribeDomainEvents((ev) => seen.push(ev), ["lifecycle"]);
    assert.equal(conn.state, "open");

    const stopped = stopLibvirtd(RESTART_MS);
    await waitFor("the connection to notice", () => conn.state === "connecting", RESTART_MS);
    await stopped;

    const pending = conn.connectGetType(); // libvirtd is down: this waits for the reconnection
    startLibvirtd();
    assert.equal(await pending, "TEST");
    assert.equal(conn.state, "open");
    assert.deepEqual(states.slice(0, 3), ["connecting", "open", "connecting"]);

    const name = await createAndDestroy(conn, "restart");
    await waitFor("a lifecycle event from the new libvirtd", startedEvent(seen, name));
  } finally {
    await conn.close();
  }
});

test("reconnects after the socket is cut, re-registering event callbacks", async () => {
  const conn = await Connection.open(`${URI}?socket=${proxy.path}`, { reconnectDelayMs: { min: 10, max: 100 } });
  const seen: DomainEvent[] = [];
  try {
    await conn.subscribeDomainEvents((ev) => seen.push(ev), ["lifecycle"]);
    const inFlight = conn.connectGetHostname();
    proxy.cut();
    const err = await inFlight.then(
      () => null,
      (e: unknown) => e,
    );
    // The reply may have come back before the cut; if not, the call failed as "disconnected".
    assert.ok(err === null || (err instanceof LibvirtConnectionError && err.kind === "disconnected"), String(err));
    assert.equal(await conn.connectGetType(), "TEST");
    const name = await createAndDestroy(conn, "cut");
    await waitFor("a lifecycle event after the reconnection", startedEvent(seen, name));
  } finally {
    await conn.close();
  }
});

test('a call made while libvirtd stays unreachable fails with "unavailable" after the wait bound', async () => {
  const conn = await Connection.open(`${URI}?socket=${proxy.path}`, { callWaitMs: 200, reconnectDelayMs: { min: 10, max: 50 } });
  try {
    proxy.refuse();
    proxy.cut();
    await waitFor("the connection to notice", () => conn.state === "connecting");
    const err = await conn.connectGetType().catch((e: unknown) => e);
    assert.ok(err instanceof LibvirtConnectionError && err.kind === "unavailable", String(err));
    assert.match(err.message, /^connectGetType on test\+unix:\/\/\/default\?socket=.*: not connected \(waited 200 ms\)/);
    proxy.allow();
    assert.equal(await conn.connectGetType(), "TEST", "the connection comes back once libvirtd is reachable");
  } finally {
    proxy.allow();
    await conn.close();
  }
});

test("keepalive detects a peer that stopped answering and reconnects", async () => {
  const conn = await Connection.open(`${URI}?socket=${proxy.path}`, {
    keepaliveIntervalMs: 50,
    keepaliveCount: 3,
    reconnectDelayMs: { min: 10, max: 50 },
  });
  const states: ConnectionState[] = [];
  conn.onStateChange((state) => states.push(state));
  try {
    proxy.freeze();
    await waitFor("keepalive to declare the peer dead", () => states.includes("connecting"));
    assert.match(String(conn.error), /no answer to 3 keepalive pings/);
    proxy.thaw();
    proxy.cut(); // the frozen pair is useless now; new connections go through
    assert.equal(await conn.connectGetType(), "TEST");
  } finally {
    proxy.thaw();
    await conn.close();
  }
});

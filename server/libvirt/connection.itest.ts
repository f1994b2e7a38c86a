// A Connection against the machine's libvirtd: the test driver through
// libvirtd (test+unix:///default) and the real QEMU driver.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import {
  Connection,
  decodeTypedParams,
  isNoDomain,
  LibvirtConnectionError,
  LibvirtError,
  uuidToString,
  VIR_DOMAIN_EVENT_STARTED,
  VIR_DOMAIN_EVENT_STOPPED,
  VIR_ERR_OPERATION_DENIED,
  virDomainState,
  type DomainEvent,
} from "./index";
import { waitFor } from "./testing/libvirtd";

const TEST_URI = "test+unix:///default";
let conn: Connection;

before(async () => {
  conn = await Connection.open(TEST_URI);
});

after(async () => {
  await conn?.close();
});

function transientDomainXml(name: string): string {
  return `<domain type='test'><name>${name}</name><memory>65536</memory><os><type>hvm</type></os></domain>`;
}

test("reads host facts and domains through libvirtd", async () => {
  assert.equal(await conn.connectGetType(), "TEST");
  assert.ok((await conn.connectGetHostname()).length > 0);
  assert.ok((await conn.connectGetLibVersion()) >= 9_000_000n);
  const info = await conn.nodeGetInfo();
  assert.equal(typeof info.model, "string");
  assert.ok(info.cpus > 0 && info.memory > 0n);
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
  const test = domains.find((d) => d.name === "test");
  assert.ok(test, 'the test driver has its domain "test"');
  assert.match(uuidToString(test.uuid), /^[0-9a-f-]{36}$/);
  const xml = await conn.domainGetXmlDesc({ dom: test, flags: 0 });
  assert.match(xml, /<name>test<\/name>/);
  const { state } = await conn.domainGetState({ dom: test, flags: 0 });
  assert.equal(state, virDomainState.RUNNING);
});

test("reads bulk stats as typed parameters", async () => {
  const records = await conn.connectGetAllDomainStats({ doms: [], stats: 0, flags: 0 });
  const test = records.find((r) => r.dom.name === "test");
  assert.ok(test, "stats for the test domain");
  const stats = decodeTypedParams(test.params);
  // The test driver reports only the state group.
  assert.deepEqual(stats, { "state.state": virDomainState.RUNNING, "state.reason": 0 });
});

test("reports libvirt errors with their code and our context", async () => {
  const err = await conn.domainLookupByName({ name: "kvmm-test-missing" }).catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtError);
  assert.ok(isNoDomain(err));
  assert.equal(err.codeName, "VIR_ERR_NO_DOMAIN");
  assert.equal(err.procedure, "domainLookupByName");
  assert.match(err.message, /^domainLookupByName on test\+unix:\/\/\/default: .*VIR_ERR_NO_DOMAIN/);
});

test("multiplexes many calls in flight on one socket", async () => {
  const names = Array.from({ length: 20 }, (_, i) => `kvmm-test-mux-${i}-${randomUUID().slice(0, 8)}`);
  const created = await Promise.all(names.map((name) => conn.domainCreateXml({ xmlDesc: transientDomainXml(name), flags: 0 })));
  try {
    // Lookups of different domains, interleaved: each reply must reach its own caller.
    const lookups = await Promise.all(Array.from({ length: 500 }, (_, i) => conn.domainLookupByName({ name: names[i % names.length]! })));
    lookups.forEach((dom, i) => assert.equal(dom.name, names[i % names.length]));
  } finally {
    await Promise.all(created.map((dom) => conn.domainDestroy({ dom })));
  }
});

test("delivers lifecycle events as typed objects", async () => {
  const name = `kvmm-test-events-${randomUUID().slice(0, 8)}`;
  const seen: DomainEvent[] = [];
  const unsubscribe = await conn.subscribeDomainEvents((ev) => seen.push(ev), ["lifecycle"]);
  try {
    const dom = await conn.domainCreateXml({ xmlDesc: transientDomainXml(name), flags: 0 });
    await conn.domainDestroy({ dom });
    const mine = () => seen.filter((ev) => ev.kind === "lifecycle" && ev.dom.name === name);
    await waitFor("started and stopped events", () => mine().length >= 2, 10_000);
    const events = mine().map((ev) => (ev.kind === "lifecycle" ? ev.event : -1));
    assert.deepEqual(events.slice(0, 2), [VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STOPPED]);
  } finally {
    await unsubscribe();
  }
});

test("iterates events and unsubscribes on break", async () => {
  const name = `kvmm-test-iter-${randomUUID().slice(0, 8)}`;
  const events = await conn.domainEvents(["lifecycle"]);
  const dom = await conn.domainCreateXml({ xmlDesc: transientDomainXml(name), flags: 0 });
  try {
    for await (const ev of events) {
      if (ev.kind === "lifecycle" && ev.dom.name === name) {
        assert.equal(ev.event, VIR_DOMAIN_EVENT_STARTED);
        break;
      }
    }
  } finally {
    await conn.domainDestroy({ dom });
  }
});

test("a read-only connection is refused writes", async () => {
  const ro = await Connection.open(TEST_URI, { readOnly: true });
  try {
    assert.equal(await ro.connectGetType(), "TEST");
    const err = await ro.domainCreateXml({ xmlDesc: transientDomainXml("kvmm-test-ro"), flags: 0 }).catch((e: unknown) => e);
    assert.ok(err instanceof LibvirtError && err.code === VIR_ERR_OPERATION_DENIED, String(err));
  } finally {
    await ro.close();
  }
});

test("a closed connection fails calls with a typed error", async () => {
  const c = await Connection.open(TEST_URI);
  await c.close();
  const err = await c.connectGetType().catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "closed");
});

test("opening a missing socket fails with a connect error", async () => {
  const err = await Connection.open("test+unix:///default?socket=/nonexistent/kvmm-test.sock").catch((e: unknown) => e);
  assert.ok(err instanceof LibvirtConnectionError && err.kind === "connect", String(err));
  assert.match(String(err), /\/nonexistent\/kvmm-test\.sock/);
});

test("talks to the QEMU driver on qemu:///system", async () => {
  const qemu = await Connection.open("qemu:///system");
  try {
    assert.equal(await qemu.connectGetType(), "QEMU");
    assert.ok((await qemu.connectGetVersion()) > 0n);
    const { domains, ret } = await qemu.connectListAllDomains({ needResults: 1, flags: 0 });
    assert.equal(domains.length, ret);
  } finally {
    await qemu.close();
  }
});

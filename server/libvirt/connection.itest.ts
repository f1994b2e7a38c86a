// A Connection against the machine's libvirtd: the test driver through
// libvirtd (test+unix:///default) and the real QEMU driver.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import {
  Connection,
  decodeTypedParams,
  formatLibvirtVersion,
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
/** How long an event libvirtd owes us may take before the test fails instead of waiting on. */
const EVENT_DEADLINE_MS = 10_000;
let conn: Connection;

/** What virsh reads from the same daemon: the expected values, whichever libvirt release this machine runs. */
function virsh(uri: string, ...args: string[]): string {
  return execFileSync("virsh", ["-c", uri, ...args], { encoding: "utf8" });
}

function field(text: string, label: string): string {
  const value = new RegExp(`^${label}:\\s*(.+?)\\s*$`, "m").exec(text)?.[1];
  assert.ok(value, `no "${label}" in:\n${text}`);
  return value;
}

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
  assert.equal(await conn.connectGetHostname(), virsh(TEST_URI, "hostname").trim());
  assert.equal(formatLibvirtVersion(await conn.connectGetLibVersion()), field(virsh(TEST_URI, "version", "--daemon"), "Running against daemon"));
  const info = await conn.nodeGetInfo();
  const nodeinfo = virsh(TEST_URI, "nodeinfo");
  assert.equal(info.model, field(nodeinfo, "CPU model"));
  assert.equal(info.cpus, Number(field(nodeinfo, "CPU\\(s\\)")));
  assert.equal(`${info.memory} KiB`, field(nodeinfo, "Memory size"));
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
    await waitFor("started and stopped events", () => mine().length >= 2, EVENT_DEADLINE_MS);
    const events = mine().map((ev) => (ev.kind === "lifecycle" ? ev.event : -1));
    assert.deepEqual(events.slice(0, 2), [VIR_DOMAIN_EVENT_STARTED, VIR_DOMAIN_EVENT_STOPPED]);
  } finally {
    await unsubscribe();
  }
});

test("iterates events in a for-await loop, which a break ends", async () => {
  const name = `kvmm-test-iter-${randomUUID().slice(0, 8)}`;
  const events = await conn.domainEvents(["lifecycle"]);
  // A lost event ends the loop (return() finishes the iterator) instead of leaving the test waiting.
  const deadline = setTimeout(() => void events.return?.(), EVENT_DEADLINE_MS);
  let first: number | undefined;
  const dom = await conn.domainCreateXml({ xmlDesc: transientDomainXml(name), flags: 0 });
  try {
    for await (const ev of events) {
      if (ev.kind === "lifecycle" && ev.dom.name === name) {
        first = ev.event;
        break;
      }
    }
  } finally {
    clearTimeout(deadline);
    await conn.domainDestroy({ dom });
  }
  assert.notEqual(first, undefined, `no lifecycle event for ${name} within ${EVENT_DEADLINE_MS} ms`);
  assert.equal(first, VIR_DOMAIN_EVENT_STARTED);
  assert.deepEqual(await events.next(), { value: undefined, done: true }, "the break returned the iterator");
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
    assert.equal(`QEMU ${formatLibvirtVersion(await qemu.connectGetVersion())}`, field(virsh("qemu:///system", "version"), "Running hypervisor"));
    const { domains, ret } = await qemu.connectListAllDomains({ needResults: 1, flags: 0 });
    assert.equal(domains.length, ret);
  } finally {
    await qemu.close();
  }
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { z } from "zod";
import type { Db } from "../../server/db/client";
import { createCallerFactory, router } from "../../server/api/trpc";
import { guestRouter } from "../../server/api/routers/guest";
import { nicsRouter } from "../../server/api/routers/nics";
import { parseDomainXml } from "../../server/domains/xml";
import { ensureLocalHost } from "../../server/hosts/service";
import { uuidFromString, type Connection, type protocol } from "../../server/libvirt";
import { closeAllConnections, getConnection } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { startGuestHub, stopGuestHub, type GuestHub } from "../../server/guest";
import { interfaceAddresses, qgaCommand, qgaGuestInfo, qgaPing } from "../../server/guest/qga";
import { bootAgentGuest } from "../../server/guest/testing/agent-guest";
import type { TestGuestImage } from "../fixtures/guest-image";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * Stock qemu-guest-agent as a source of guest facts, read through libvirt, on a guest that runs
 * qemu-ga only (no KVM Manager agent): the facts view must say every fact came from qemu-ga, and
 * power actions must fall back to it.
 */

const HOST = "local";

let guest: TestDomain;
let image: TestGuestImage;
let hub: GuestHub;
let conn: Connection;
let dom: protocol.NonnullDomain;
let db: Db;
let cleanupDb: () => void;
let operator: SessionUser;

const api = () => createCallerFactory(router({ guest: guestRouter }))({ db, user: operator, clientIp: "192.0.2.11" }).guest;
const nics = () => createCallerFactory(router({ nics: nicsRouter }))({ db, user: operator, clientIp: "192.0.2.11" }).nics;
const vm = () => ({ hostId: HOST, uuid: guest.uuid });

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  operator = await addUser(db, "otto", "operator");
  ({ guest, image } = await bootAgentGuest({ label: "qga", agent: false, qemuGuestAgent: true, network: true }));
  conn = getConnection(HOST, libvirtUri());
  dom = await conn.domainLookupByUuid({ uuid: uuidFromString(guest.uuid) });
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanupDb?.();
});

test("libvirt reports qemu-ga connected, and the hub tracks it", async () => {
  const s = await waitFor(() => hub.status(HOST, guest.uuid)?.qga.connected && hub.status(HOST, guest.uuid), {
    timeoutMs: 180_000,
    intervalMs: 500,
    what: "qemu-ga to connect",
    describe: async () => (await guest.serialLog()).split("\n").slice(-15).join("\n"),
  });
  assert.deepEqual(s.qga, { channel: true, connected: true });
  assert.equal(s.agent.channel, false);
  await qgaPing(conn, dom);
  const info = await qgaCommand(conn, dom, "guest-info", undefined, { result: z.object({ version: z.string().max(64) }) });
  assert.match(info.version, /^\d+\.\d+/);
});

test("guest info through libvirt: hostname, OS and kernel from qemu-ga", async () => {
  const info = await qgaGuestInfo(conn, dom);
  assert.equal(info.hostname, guest.hostname);
  assert.equal(info.os?.kernelRelease, image.kernelRelease);
  assert.equal(info.os?.machine, "x86_64");
  assert.deepEqual(info.users, [], "users answered (null when not), and nobody is logged in to the test guest");
});

test("interface addresses from qemu-ga through virDomainInterfaceAddresses", async () => {
  const mac = parseDomainXml(await guest.liveXml()).nics[0]?.mac;
  const found = await waitFor(
    async () => {
      const r = await interfaceAddresses(conn, dom);
      return r?.interfaces.find((i) => i.mac === mac)?.addresses.some((a) => a.family === "ipv4") ? r : null;
    },
    { timeoutMs: 60_000, intervalMs: 1_000, what: "eth0 to have an IPv4 address" },
  );
  assert.equal(found.source, "qga");
  const eth0 = found.interfaces.find((i) => i.mac === mac)!;
  assert.equal(eth0.name, "eth0");
  assert.ok(
    eth0.addresses.some((a) => a.family === "ipv4" && a.address.startsWith("10.0.2.")),
    JSON.stringify(eth0.addresses),
  );
  assert.ok(found.interfaces.find((i) => i.name === "lo")?.addresses.some((a) => a.address === "127.0.0.1"));
});

test("without our agent, the facts view says every fact came from qemu-ga", async () => {
  const facts = await api().facts(vm());
  assert.deepEqual(facts.sources, { agent: "absent", qga: "connected" });
  assert.deepEqual(facts.system.hostname, { value: guest.hostname, source: "qga" });
  assert.equal(facts.system.kernel.source, "qga");
  assert.equal(facts.system.kernel.value?.release, image.kernelRelease);
  assert.equal(facts.system.arch.source, "qga");
  assert.equal(facts.network.source, "qga");
  assert.ok(facts.network.value?.some((i) => i.name === "eth0"));
  assert.deepEqual(facts.system.memory, { value: null, source: null }, "qemu-ga has no memory facts");
  assert.deepEqual(facts.errors.qga, []);
});

test("the Network tab's card shows the addresses qemu-ga reports for its MAC, and says they came from qemu-ga", async () => {
  const card = (await nics().list(vm())).nics[0]!;
  assert.equal(card.guest?.source, "qga");
  assert.equal(card.guest?.guestName, "eth0");
  assert.ok(
    card.guest?.addresses.some((a) => a.family === "ipv4" && a.address.startsWith("10.0.2.")),
    JSON.stringify(card.guest),
  );
});

test("shutdown falls back to qemu-ga when our agent is absent", async () => {
  const result = await api().shutdown(vm());
  assert.deepEqual(result, { via: "qga", method: null });
  await guest.waitForState("shut off", 120_000);
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { createCallerFactory, router } from "@/server/api/trpc";
import { nicsRouter } from "@/server/api/routers/nics";
import type { Db } from "@/server/db/client";
import { parseDomainXml } from "@/server/domains/xml";
import { auditTargets } from "@/server/audit/targets";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { SessionUser } from "@/server/users/service";
import { startGuestHub, stopGuestHub, type GuestHub } from "@/server/guest";
import { bootAgentGuest } from "@/server/guest/testing/agent-guest";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { createEmptyNetwork, createHostBridge, type TestNicSource } from "../fixtures/nic-sources";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { waitFor } from "../fixtures/wait";

/**
 * A VM's network cards against the real libvirtd and a real running guest with our agent: a card
 * hot-plugged into the running guest appears inside it (its MAC under /sys/class/net), its link
 * pulled and plugged shows as the guest's carrier, it moves to a host bridge live, and once
 * removed it is gone from the guest and from the definition. A shut-off VM changes only its
 * definition. Every change leaves one audit row naming the card.
 */

const HOST = "local";
const id = randomBytes(3).toString("hex");
const MAC = `52:54:00:7e:${id.slice(0, 2)}:${id.slice(2, 4)}`;

const caller = createCallerFactory(router({ nics: nicsRouter }));
let db: Db;
let cleanupDb: () => void;
let admin: SessionUser;
let viewer: SessionUser;
let guest: TestDomain;
let idle: IdleDomain | undefined;
let hub: GuestHub;
let network: TestNicSource;
let bridge: TestNicSource;

const as = (user: SessionUser) => caller({ db, user, clientIp: "192.0.2.20" });
const vm = () => ({ hostId: HOST, uuid: guest.uuid });
const context = () => auditTargets.vm(HOST, guest.name);

/** A shell command in the guest through our agent (straight to the hub: not an audited user action); its standard output. */
async function inGuest(script: string): Promise<string> {
  const result = await hub.call(HOST, guest.uuid, "exec_command", { command: "/bin/sh", args: ["-c", script], timeout_ms: 10_000 }, { timeoutMs: 30_000 });
  assert.equal(result.exit_code, 0, `${script}: ${result.stderr}`);
  return result.stdout.trim();
}

/** The guest's interface whose MAC is `mac`, or "" when it has none. */
async function guestInterface(mac: string): Promise<string> {
  return inGuest(`for d in /sys/class/net/*; do [ "$(cat $d/address)" = "${mac}" ] && basename $d; done; true`);
}

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = await addUser(db, "ada", "admin");
  viewer = await addUser(db, "vera", "viewer");
  network = await createEmptyNetwork(`kvmm-test-nic-${id}`);
  bridge = await createHostBridge(`kvmmbr${id}`);
  ({ guest } = await bootAgentGuest({ label: "nics", network: true }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  await guest.waitForReady(180_000);
  await waitFor(() => hub.status(HOST, guest.uuid)?.agent.state === "connected", { timeoutMs: 120_000, intervalMs: 250, what: "the agent to connect" });
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await idle?.remove();
  await network?.remove();
  await bridge?.remove();
  await closeAllConnections();
  cleanupDb?.();
});

test("the list shows the guest's NIC with the addresses our agent reports for its MAC", async () => {
  const list = await waitFor(
    async () => {
      const l = await as(viewer).nics.list(vm());
      return l.nics[0]?.guest?.addresses.some((a) => a.family === "ipv4") ? l : null;
    },
    { timeoutMs: 60_000, intervalMs: 1_000, what: "the guest's eth0 to have an IPv4 address" },
  );
  assert.equal(list.running, true);
  const nic = list.nics[0]!;
  assert.equal(nic.kind, "user");
  assert.equal(nic.link, "up");
  assert.equal(nic.guest?.source, "agent");
  assert.equal(nic.guest?.guestName, "eth0");
});

test("the host's networks and bridges are offered as sources", async () => {
  const sources = await as(admin).nics.sources(vm());
  assert.ok(sources.networks.some((n) => n.name === network.name && n.active));
  assert.ok(sources.bridges.includes(bridge.name), `bridges: ${sources.bridges.join(", ")}`);
});

test("a NIC hot-plugged into the running guest appears inside it and in the definition", async () => {
  const mark = auditMark(db);
  const added = await as(admin).nics.add({ ...vm(), source: { kind: "network", name: network.name }, mac: MAC.toUpperCase() });
  assert.deepEqual(added, { mac: MAC, live: true, persistent: true });
  assertAuditedSince(db, mark, [{ action: "nics.add", target: auditTargets.inVm(context(), `NIC on network "${network.name}"`) }]);
  const name = await waitFor(() => guestInterface(MAC), { timeoutMs: 60_000, intervalMs: 500, what: `an interface with MAC ${MAC} in the guest` });
  assert.match(name, /^eth\d+$/);
  const config = parseDomainXml(await virsh(["dumpxml", "--inactive", guest.name]));
  assert.ok(config.nics.some((n) => n.mac === MAC && n.source === network.name));
});

test("pulling and plugging the link shows as the guest's carrier", async () => {
  const name = await guestInterface(MAC);
  await inGuest(`ip link set dev ${name} up`);
  const carrier = () => inGuest(`cat /sys/class/net/${name}/carrier`);
  await waitFor(async () => (await carrier()) === "1", { timeoutMs: 30_000, intervalMs: 250, what: `${name}'s carrier to be 1` });

  const mark = auditMark(db);
  assert.deepEqual(await as(admin).nics.setLink({ ...vm(), mac: MAC, state: "down" }), { mac: MAC, live: true, persistent: true, refusedLive: null });
  await waitFor(async () => (await carrier()) === "0", { timeoutMs: 30_000, intervalMs: 250, what: `${name}'s carrier to be 0` });
  // The kernel's link watcher sets operstate after the carrier, up to a second later (more on a loaded host).
  const operstate = () => inGuest(`cat /sys/class/net/${name}/operstate`);
  await waitFor(async () => (await operstate()) === "down", { timeoutMs: 30_000, intervalMs: 250, what: `${name}'s operstate to be down` });
  const listed = (await as(viewer).nics.list(vm())).nics.find((n) => n.mac === MAC);
  assert.equal(listed?.link, "down");
  assert.equal(listed?.nextBoot, null, "the definition has the link down too");

  await as(admin).nics.setLink({ ...vm(), mac: MAC, state: "up" });
  await waitFor(async () => (await carrier()) === "1", { timeoutMs: 30_000, intervalMs: 250, what: `${name}'s carrier to be 1 again` });
  const target = auditTargets.inVm(context(), `NIC ${MAC}`);
  assertAuditedSince(db, mark, [
    { action: "nics.setLink", target },
    { action: "nics.setLink", target },
  ]);
});

test("a NIC moves to a host bridge live and in the definition", async () => {
  const changed = await as(admin).nics.setSource({ ...vm(), mac: MAC, source: { kind: "bridge", name: bridge.name } });
  assert.deepEqual(changed, { mac: MAC, live: true, persistent: true, refusedLive: null });
  const nic = (await as(viewer).nics.list(vm())).nics.find((n) => n.mac === MAC)!;
  assert.deepEqual([nic.kind, nic.source, nic.nextBoot], ["bridge", bridge.name, null]);
  // The tap device really is a port of the bridge now.
  assert.ok(nic.hostDevice);
  const row = (await virsh(["domiflist", guest.name])).split("\n").find((l) => l.includes(MAC));
  assert.equal(row?.trim().split(/\s+/)[2], bridge.name, `virsh domiflist: ${row}`);
});

test("a card libvirt cannot move while running moves at the next boot, and says why", async () => {
  const eth0 = (await as(viewer).nics.list(vm())).nics.find((n) => n.kind === "user")!;
  const changed = await as(admin).nics.setSource({ ...vm(), mac: eth0.mac, source: { kind: "network", name: network.name } });
  assert.equal(changed.live, false);
  assert.equal(changed.persistent, true);
  assert.ok(changed.refusedLive, "libvirt's reason is passed on");
  const nic = (await as(viewer).nics.list(vm())).nics.find((n) => n.mac === eth0.mac)!;
  assert.equal(nic.kind, "user", "the running card is unchanged");
  assert.deepEqual(nic.nextBoot, { kind: "network", source: network.name, link: "up" });
});

test("a NIC without a MAC gets one from libvirt, the same in the running VM and the definition", async () => {
  const added = await as(admin).nics.add({ ...vm(), source: { kind: "network", name: network.name }, model: "e1000e" });
  assert.match(added.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
  const nic = (await as(viewer).nics.list(vm())).nics.find((n) => n.mac === added.mac);
  assert.deepEqual([nic?.live, nic?.persistent, nic?.model], [true, true, "e1000e"]);
  const removed = await as(admin).nics.remove({ ...vm(), mac: added.mac });
  assert.equal(removed.persistent, true);
});

test("a removed NIC is gone from the guest and from the definition", async () => {
  const mark = auditMark(db);
  const removed = await as(admin).nics.remove({ ...vm(), mac: MAC });
  assert.deepEqual([removed.live, removed.persistent], [true, true]);
  await waitFor(async () => (await guestInterface(MAC)) === "", { timeoutMs: 60_000, intervalMs: 500, what: `MAC ${MAC} to leave the guest` });
  await waitFor(async () => !(await guest.liveXml()).includes(MAC), { timeoutMs: 30_000, intervalMs: 250, what: "the card to leave the running VM" });
  assert.ok(!(await virsh(["dumpxml", "--inactive", guest.name])).includes(MAC));
  assertAuditedSince(db, mark, [{ action: "nics.remove", target: auditTargets.inVm(context(), `NIC ${MAC}`) }]);
  await assert.rejects(as(admin).nics.remove({ ...vm(), mac: MAC }), /has no NIC with MAC/);
});

test("a shut-off VM's cards change in its definition only", async () => {
  idle = await defineIdleDomain(`kvmm-test-nicoff-${id}`);
  const ref = { hostId: HOST, uuid: idle.uuid };
  const added = await as(admin).nics.add({ ...ref, source: { kind: "bridge", name: bridge.name } });
  assert.deepEqual([added.live, added.persistent], [false, true]);
  assert.deepEqual(await as(admin).nics.setLink({ ...ref, mac: added.mac, state: "down" }), {
    mac: added.mac,
    live: false,
    persistent: true,
    refusedLive: null,
  });
  const list = await as(viewer).nics.list(ref);
  assert.equal(list.running, false);
  assert.deepEqual(
    list.nics.map((n) => [n.mac, n.kind, n.source, n.link, n.live, n.guest]),
    [[added.mac, "bridge", bridge.name, "down", false, null]],
  );
});

test("a viewer may list cards but not change them", async () => {
  assert.ok((await as(viewer).nics.list(vm())).nics.length > 0);
  await assert.rejects(as(viewer).nics.setLink({ ...vm(), mac: MAC, state: "down" }), { code: "FORBIDDEN" });
});

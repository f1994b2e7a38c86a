import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCallerFactory } from "@/server/api/trpc";
import { networksRouter } from "@/server/api/routers/networks";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { deleteNetwork } from "@/server/networks/service";
import { intToIpv4, subnetsOverlap } from "@/server/networks/ipv4";
import type { Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * Virtual networks against the real libvirtd: a NAT network with DHCP and an isolated one, each
 * on a free 10.213.x.0/24, created, started, stopped and deleted; conflicts and unknown names
 * are refused with errors that say why; each change leaves exactly one audit row naming the
 * network. Everything is named kvmm-test-* and removed in `after`.
 */

const id = randomBytes(3).toString("hex");
const NAT = `kvmm-test-nat-${id}`;
const ISOLATED = `kvmm-test-iso-${id}`;

const caller = createCallerFactory(networksRouter);
let db: Db;
let cleanupDb: () => void;
let admin: ReturnType<typeof caller>;
let viewer: ReturnType<typeof caller>;
let natSubnet: number;
let isoSubnet: number;

/** Subnets the host routes now (/proc/net/route: little-endian hex destination and mask). */
async function hostRoutes(): Promise<{ address: string; prefix: number }[]> {
  const lines = (await readFile("/proc/net/route", "utf8")).trim().split("\n").slice(1);
  return lines
    .map((line) => {
      const [, dest = "0", , , , , , mask = "0"] = line.trim().split(/\s+/);
      const le = (hex: string) => Buffer.from(hex.padStart(8, "0"), "hex").readUInt32LE(0);
      return { address: intToIpv4(le(dest)), prefix: le(mask).toString(2).replace(/0/g, "").length };
    })
    .filter((r) => r.prefix > 0);
}

/** Two distinct 10.213.x.0/24 subnets that no libvirt network and no host route uses. */
async function freeSubnets(): Promise<[number, number]> {
  const taken = [
    ...(await admin.list({ hostId: "local" })).flatMap((n) =>
      n.ips.filter((ip) => ip.prefix !== null).map((ip) => ({ address: ip.address, prefix: ip.prefix! })),
    ),
    ...(await hostRoutes()),
  ];
  const free: number[] = [];
  const start = randomInt(1, 250);
  for (let i = 0; i < 250 && free.length < 2; i++) {
    const x = ((start + i) % 250) + 1;
    if (!taken.some((t) => subnetsOverlap(t, { address: `10.213.${x}.1`, prefix: 24 }))) free.push(x);
  }
  assert.equal(free.length, 2, "no free 10.213.x.0/24 subnets on this host");
  return [free[0]!, free[1]!];
}

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  admin = caller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.10" });
  viewer = caller({ db, user: await addUser(db, "vic", "viewer"), clientIp: "192.0.2.11" });
  [natSubnet, isoSubnet] = await freeSubnets();
});

after(async () => {
  for (const name of [NAT, ISOLATED, `${NAT}-clash`]) await deleteNetwork(resolveHost(db, "local"), name).catch(() => undefined);
  await closeAllConnections();
  cleanupDb();
});

async function trpcError(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail("expected the call to fail");
}

test("an admin creates and starts a NAT network with DHCP; the list shows its bridge, mode and range", async () => {
  const mark = auditMark(db);
  const ipv4 = { address: `10.213.${natSubnet}.1`, prefix: 24, dhcp: { start: `10.213.${natSubnet}.100`, end: `10.213.${natSubnet}.199` } };
  const created = await admin.create({ hostId: "local", spec: { mode: "nat", name: NAT, ipv4 }, start: true, autostart: false });
  assert.equal(created.active, true);
  assert.equal(created.persistent, true);
  assert.equal(created.autostart, false);
  assert.equal(created.forwardMode, "nat");
  assert.match(created.bridge ?? "", /^virbr\d+$/, "libvirt named the bridge");
  assert.deepEqual(created.ips, [{ family: "ipv4", address: ipv4.address, prefix: 24, dhcpRanges: [ipv4.dhcp] }]);

  const listed = (await viewer.list({ hostId: "local" })).find((n) => n.name === NAT);
  assert.deepEqual(listed, created);
  // The bridge exists on the host with the gateway address, independent of our own reading.
  assert.match(await virsh(["net-info", NAT]), /Active:\s+yes/);
  assert.deepEqual(await viewer.dhcpLeases({ hostId: "local", network: NAT }), [], "no guest has asked for a lease");
  assertAuditedSince(db, mark, [{ action: "create", target: auditTargets.network("local", NAT) }]);
});

test("an isolated network without DHCP is created stopped, then started and deleted", async () => {
  const mark = auditMark(db);
  const created = await admin.create({
    hostId: "local",
    spec: { mode: "isolated", name: ISOLATED, ipv4: { address: `10.213.${isoSubnet}.1`, prefix: 24 } },
    start: false,
    autostart: false,
  });
  assert.equal(created.active, false);
  assert.equal(created.forwardMode, "isolated");
  await admin.start({ hostId: "local", network: ISOLATED });
  assert.equal((await admin.get({ hostId: "local", network: ISOLATED })).active, true);
  await admin.delete({ hostId: "local", network: ISOLATED });
  assert.equal(
    (await admin.list({ hostId: "local" })).some((n) => n.name === ISOLATED),
    false,
  );
  assertAuditedSince(
    db,
    mark,
    ["create", "start", "delete"].map((action) => ({ action, target: auditTargets.network("local", ISOLATED) })),
  );
});

test("a clashing subnet, a taken name or a taken bridge is a conflict that says which network", async () => {
  const clash = await trpcError(
    admin.create({ hostId: "local", spec: { mode: "isolated", name: `${NAT}-clash`, ipv4: { address: `10.213.${natSubnet}.129`, prefix: 25 } } }),
  );
  assert.equal(clash.code, "CONFLICT");
  assert.match(clash.message, new RegExp(`overlaps 10\\.213\\.${natSubnet}\\.1/24 of network "${NAT}"`));
  const taken = await trpcError(
    admin.create({ hostId: "local", spec: { mode: "isolated", name: NAT, ipv4: { address: `10.213.${isoSubnet}.1`, prefix: 24 } } }),
  );
  assert.equal(taken.code, "CONFLICT");
  assert.match(taken.message, /already exists/);
  const bridge = (await admin.get({ hostId: "local", network: NAT })).bridge!;
  const bridgeTaken = await trpcError(
    admin.create({ hostId: "local", spec: { mode: "isolated", name: `${NAT}-clash`, bridge, ipv4: { address: `10.213.${isoSubnet}.1`, prefix: 24 } } }),
  );
  assert.equal(bridgeTaken.code, "CONFLICT");
  assert.match(bridgeTaken.message, new RegExp(`bridge ${bridge} belongs to network "${NAT}"`));
});

test("stop, autostart, start and delete; the network is gone afterwards", async () => {
  const mark = auditMark(db);
  await admin.stop({ hostId: "local", network: NAT });
  assert.equal((await admin.get({ hostId: "local", network: NAT })).active, false);
  await admin.setAutostart({ hostId: "local", network: NAT, autostart: true });
  assert.equal((await admin.get({ hostId: "local", network: NAT })).autostart, true);
  await admin.setAutostart({ hostId: "local", network: NAT, autostart: false });
  await admin.start({ hostId: "local", network: NAT });
  assert.equal((await admin.get({ hostId: "local", network: NAT })).active, true);
  await admin.delete({ hostId: "local", network: NAT });
  assert.equal(
    (await admin.list({ hostId: "local" })).some((n) => n.name === NAT),
    false,
  );
  assertAuditedSince(
    db,
    mark,
    ["stop", "setAutostart", "setAutostart", "start", "delete"].map((action) => ({ action, target: auditTargets.network("local", NAT) })),
  );
});

test("unknown networks are not-found errors naming them; hostile input and viewers are refused", async () => {
  const missing = await trpcError(admin.start({ hostId: "local", network: "kvmm-test-no-such-net" }));
  assert.equal(missing.code, "NOT_FOUND");
  assert.match(missing.message, /^network "kvmm-test-no-such-net" on host "local": libvirt: .*kvmm-test-no-such-net/);
  assert.equal((await trpcError(admin.dhcpLeases({ hostId: "local", network: "kvmm-test-no-such-net" }))).code, "NOT_FOUND");
  for (const hostile of [`x'/><forward mode='open'/>`, "a&b", "]]>", "../x", ""]) {
    assert.equal((await trpcError(admin.create({ hostId: "local", spec: { mode: "bridge", name: hostile, bridge: "br0" } }))).code, "BAD_REQUEST", hostile);
    assert.equal((await trpcError(admin.delete({ hostId: "local", network: hostile }))).code, "BAD_REQUEST", hostile);
  }
  const viewerTry = await trpcError(
    viewer.create({ hostId: "local", spec: { mode: "isolated", name: `${NAT}-clash`, ipv4: { address: "10.213.0.1", prefix: 24 } } }),
  );
  assert.equal(viewerTry.code, "FORBIDDEN");
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCaller } from "../../server/api/root";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { unwatchAllHosts } from "../../server/events/bus";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { intToIpv4, subnetsOverlap } from "../../server/networks/ipv4";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

/**
 * Grants against the real libvirtd, through the real router: a dir pool holds the disk of
 * kvmm-test-grants-a1, the "secret project" disk of kvmm-test-grants-b1 and a spare volume; a
 * started network has a DHCP lease naming b1. An operator granted the a-VMs by name, and a viewer
 * granted a1's tag, see a1's volume (and its pool by name) and nothing else of the host: not b1's
 * volume, not the spare, no network or lease, no VM counts but their own. An operator granted the
 * host sees it all, as an admin does. Everything is named kvmm-test-grants-* and removed in `after`.
 */
process.env.KVMM_DOMAIN_TYPE = "qemu";
const id = randomBytes(3).toString("hex");
const POOL = `kvmm-test-grants-pool-${id}`;
const POOL_DIR = `/tmp/${POOL}`;
const EMPTY_POOL = `kvmm-test-grants-empty-${id}`;
const NET = `kvmm-test-grants-net-${id}`;
const VM_A = `kvmm-test-grants-a1-${id}`;
const VM_B = `kvmm-test-grants-b1-${id}`;
const TAG = `grants-${id}`;
const VOL_A = "kvmm-a1-root.qcow2";
const VOL_B = "kvmm-b1-secret-project.qcow2";
const VOL_SPARE = "kvmm-spare.qcow2";
const MiB = 1024 * 1024;

const { db, cleanup } = tempDatabase();
type Api = ReturnType<typeof createCaller>;
let admin: Api;
let byName: Api;
let byTag: Api;
let byHost: Api;
let leaseFile = "";

/** A 10.213.x.0/24 that no libvirt network and no host route uses. */
async function freeSubnet(): Promise<number> {
  const routes = (await readFile("/proc/net/route", "utf8"))
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
  const le = (hex = "0") => Buffer.from(hex.padStart(8, "0"), "hex").readUInt32LE(0);
  const taken = [
    ...(await admin.networks.list({ hostId: "local" })).flatMap((n) =>
      n.ips.flatMap((ip) => (ip.prefix === null ? [] : [{ address: ip.address, prefix: ip.prefix }])),
    ),
    ...routes.map((r) => ({ address: intToIpv4(le(r[1])), prefix: le(r[7]).toString(2).replace(/0/g, "").length })).filter((r) => r.prefix > 0),
  ];
  const start = randomInt(1, 250);
  for (let i = 0; i < 250; i++) {
    const x = ((start + i) % 250) + 1;
    if (!taken.some((t) => subnetsOverlap(t, { address: `10.213.${x}.1`, prefix: 24 }))) return x;
  }
  throw new Error("no free 10.213.x.0/24 on this host");
}

async function defineVm(name: string, volume: string, tags: string[]): Promise<void> {
  await admin.vms.create({
    hostId: "local",
    name,
    vcpus: 1,
    memoryMiB: 64,
    disks: [{ source: "existing", pool: POOL, volume, bus: "virtio" }],
    network: { kind: "none" },
    graphics: "none",
    tags,
  });
}

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  const as = async (name: string, role: "admin" | "operator" | "viewer", grants: { kind: "host" | "name" | "tag"; value: string }[] = []) =>
    createCaller({ db, user: await addUser(db, name, role, grants), clientIp: "192.0.2.20" });
  admin = await as("ada", "admin");
  byName = await as("nora", "operator", [{ kind: "name", value: `kvmm-test-grants-a*-${id}` }]);
  byTag = await as("tess", "viewer", [{ kind: "tag", value: TAG }]);
  byHost = await as("hank", "operator", [{ kind: "host", value: "local" }]);

  await admin.storage.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
  await admin.storage.definePool({ hostId: "local", spec: { type: "dir", name: EMPTY_POOL, path: `/tmp/${EMPTY_POOL}` }, start: true, autostart: false });
  for (const name of [VOL_A, VOL_B, VOL_SPARE])
    await admin.storage.createVolume({ hostId: "local", pool: POOL, name, format: "qcow2", capacityBytes: 16 * MiB });
  await defineVm(VM_A, VOL_A, [TAG]);
  await defineVm(VM_B, VOL_B, []);

  const x = await freeSubnet();
  const net = await admin.networks.create({
    hostId: "local",
    spec: { mode: "isolated", name: NET, ipv4: { address: `10.213.${x}.1`, prefix: 24, dhcp: { start: `10.213.${x}.100`, end: `10.213.${x}.199` } } },
    start: true,
    autostart: false,
  });
  // No guest boots here, so the lease b1 would hold is written where libvirt's lease helper keeps
  // them; libvirtd reads it back for virNetworkGetDHCPLeases like any other.
  leaseFile = `/var/lib/libvirt/dnsmasq/${net.bridge}.status`;
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  await writeFile(
    leaseFile,
    JSON.stringify([
      { "ip-address": `10.213.${x}.150`, "mac-address": "52:54:00:6b:31:b1", hostname: VM_B, "client-id": "01:52:54:00:6b:31:b1", "expiry-time": expiry },
    ]),
  );
});

after(async () => {
  for (const vm of [VM_A, VM_B]) await virsh(["undefine", vm]).catch(() => undefined);
  await admin.networks.delete({ hostId: "local", network: NET }).catch(() => undefined);
  if (leaseFile) await rm(leaseFile, { force: true });
  for (const volume of [VOL_A, VOL_B, VOL_SPARE]) await admin.storage.deleteVolume({ hostId: "local", pool: POOL, volume }).catch(() => undefined);
  for (const pool of [POOL, EMPTY_POOL]) await admin.storage.deletePool({ hostId: "local", pool, deleteData: true }).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await rm(`/tmp/${EMPTY_POOL}`, { recursive: true, force: true });
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

async function refusal(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return { code: err.code, message: err.message };
  }
  assert.fail("expected the call to be refused");
}

test("the setup is real: the admin sees all three volumes, the network and the lease naming b1", async () => {
  assert.deepEqual(
    (await admin.storage.volumes({ hostId: "local", pool: POOL })).map((v) => v.name),
    [VOL_A, VOL_SPARE, VOL_B].sort(),
  );
  assert.ok((await admin.networks.list({ hostId: "local" })).some((n) => n.name === NET));
  assert.deepEqual(
    (await admin.networks.dhcpLeases({ hostId: "local", network: NET })).map((l) => l.hostname),
    [VM_B],
  );
});

for (const [who, api] of [
  ["an operator granted the a-VMs by name", () => byName],
  ["a viewer granted a1's tag", () => byTag],
] as const) {
  test(`${who} sees a1's volume and its pool by name, and no other storage`, async () => {
    const pools = await api().storage.pools({ hostId: "local" });
    assert.deepEqual(
      pools.map((p) => [p.name, p.scope]),
      [[POOL, "attached"]],
      "only the pool holding a1's disk, and only as 'attached'",
    );
    const pool = await api().storage.pool({ hostId: "local", pool: POOL });
    assert.equal(pool.scope, "attached");
    for (const hidden of ["capacityBytes", "allocationBytes", "availableBytes", "targetPath", "source"]) assert.ok(!(hidden in pool), `${hidden} is not shown`);

    const volumes = await api().storage.volumes({ hostId: "local", pool: POOL });
    assert.deepEqual(
      volumes.map((v) => v.name),
      [VOL_A],
      "not b1's volume, not the spare",
    );
    assert.equal((await api().storage.volume({ hostId: "local", pool: POOL, volume: VOL_A })).path, `${POOL_DIR}/${VOL_A}`);

    // Hidden and missing answer alike, so the answer tells nothing about what exists.
    for (const volume of [VOL_B, VOL_SPARE, "kvmm-no-such.qcow2"]) {
      assert.deepEqual(await refusal(api().storage.volume({ hostId: "local", pool: POOL, volume })), {
        code: "NOT_FOUND",
        message: `volume "${volume}" in pool "${POOL}" on host "local": not found`,
      });
    }
    for (const pool of [EMPTY_POOL, "kvmm-test-grants-no-such-pool"]) {
      assert.deepEqual(await refusal(api().storage.pool({ hostId: "local", pool })), {
        code: "NOT_FOUND",
        message: `pool "${pool}" on host "local": not found`,
      });
      assert.equal((await refusal(api().storage.volumes({ hostId: "local", pool }))).code, "NOT_FOUND");
    }
  });

  test(`${who} sees no network and no lease`, async () => {
    assert.deepEqual(await api().networks.list({ hostId: "local" }), []);
    for (const network of [NET, "kvmm-test-grants-no-such-net"]) {
      assert.deepEqual(await refusal(api().networks.get({ hostId: "local", network })), {
        code: "NOT_FOUND",
        message: `network "${network}" on host "local": not found`,
      });
      assert.deepEqual(await refusal(api().networks.dhcpLeases({ hostId: "local", network })), {
        code: "NOT_FOUND",
        message: `network "${network}" on host "local": not found`,
      });
    }
  });

  test(`${who} is told about their own VM only in the host's figures`, async () => {
    const info = await api().hosts.info({ hostId: "local" });
    assert.deepEqual([info.activeDomains, info.inactiveDomains], [0, 1], "a1 alone, defined and not running");
    const all = await admin.hosts.info({ hostId: "local" });
    assert.ok(all.inactiveDomains >= 2, "the admin's count includes b1");
  });
}

test("an operator granted the whole host sees every pool, volume, network and lease, and the host's counts", async () => {
  const pools = await byHost.storage.pools({ hostId: "local" });
  const pool = pools.find((p) => p.name === POOL);
  assert.ok(pool?.scope === "host" && pool.targetPath === POOL_DIR && pool.capacityBytes > 0, JSON.stringify(pool));
  assert.ok(pools.some((p) => p.name === EMPTY_POOL));
  assert.deepEqual(
    (await byHost.storage.volumes({ hostId: "local", pool: POOL })).map((v) => v.name),
    [VOL_A, VOL_SPARE, VOL_B].sort(),
  );
  assert.ok((await byHost.networks.list({ hostId: "local" })).some((n) => n.name === NET));
  assert.deepEqual(
    (await byHost.networks.dhcpLeases({ hostId: "local", network: NET })).map((l) => l.hostname),
    [VM_B],
  );
  assert.ok((await byHost.hosts.info({ hostId: "local" })).inactiveDomains >= 2);
});

test("narrowed users are still refused storage and network changes by their role", async () => {
  assert.equal((await refusal(byName.storage.deleteVolume({ hostId: "local", pool: POOL, volume: VOL_B }))).code, "FORBIDDEN");
  assert.equal((await refusal(byTag.networks.stop({ hostId: "local", network: NET }))).code, "FORBIDDEN");
  assert.match(await virsh(["vol-list", POOL]), new RegExp(VOL_B.replace(/\./g, "\\.")));
});

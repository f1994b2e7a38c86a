// Where the VM list's IP addresses come from, on the real libvirtd: the DHCP leases of the host's
// libvirt networks, matched by the MAC of a running VM's NIC. No guest boots here (a disk-less VM
// sits in SeaBIOS), so the lease is written where libvirt's lease helper keeps them, and libvirtd
// reads it back for virNetworkGetDHCPLeases like any other. Everything is named kvmm-test-list-*.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { createCaller } from "../../server/api/root";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { unwatchAllHosts } from "../../server/events/bus";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";

process.env.KVMM_DOMAIN_TYPE = "qemu";
const id = randomBytes(3).toString("hex");
const NET = `kvmm-test-list-net-${id}`;
const RUNNING = `kvmm-test-list-ip-${id}`;
const STOPPED = `kvmm-test-list-off-${id}`;
const { db, cleanup } = tempDatabase();
let admin: ReturnType<typeof createCaller>;
let leaseFile = "";
let subnet = 0;

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.40" });
  const taken = new Set((await admin.networks.list({ hostId: "local" })).flatMap((n) => n.ips.map((ip) => ip.address.split(".").slice(0, 3).join("."))));
  do subnet = randomInt(1, 250);
  while (taken.has(`10.214.${subnet}`));
  const net = await admin.networks.create({
    hostId: "local",
    spec: {
      mode: "isolated",
      name: NET,
      ipv4: { address: `10.214.${subnet}.1`, prefix: 24, dhcp: { start: `10.214.${subnet}.100`, end: `10.214.${subnet}.199` } },
    },
    start: true,
    autostart: false,
  });
  leaseFile = `/var/lib/libvirt/dnsmasq/${net.bridge}.status`;
  for (const [name, start] of [
    [RUNNING, true],
    [STOPPED, false],
  ] as const) {
    await admin.vms.create({
      hostId: "local",
      name,
      vcpus: 1,
      memoryMiB: 64,
      install: { kind: "none" },
      network: { kind: "network", name: NET },
      graphics: "none",
      start,
    });
  }
});

after(async () => {
  for (const vm of [RUNNING, STOPPED]) {
    await virsh(["destroy", vm]).catch(() => undefined);
    await virsh(["undefine", vm]).catch(() => undefined);
  }
  await admin.networks.delete({ hostId: "local", network: NET }).catch(() => undefined);
  if (leaseFile) await rm(leaseFile, { force: true });
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

test("a running VM shows the address its network's DHCP leased to its MAC; a stopped VM with a lease shows none", async () => {
  const listed = async () => (await admin.vms.list({ hostId: "local" }))[0]!.vms;
  const uuidOf = async (name: string) => (await listed()).find((vm) => vm.name === name)!.uuid;
  const macOf = async (name: string) => (await admin.vms.get({ hostId: "local", uuid: await uuidOf(name) })).nics[0]!.mac!;
  const [running, stopped] = [await macOf(RUNNING), await macOf(STOPPED)];
  assert.deepEqual((await listed()).find((vm) => vm.name === RUNNING)!.ips, [], "no lease yet, no address");

  const expiry = Math.floor(Date.now() / 1000) + 3600;
  await writeFile(
    leaseFile,
    JSON.stringify([
      { "ip-address": `10.214.${subnet}.150`, "mac-address": running.toUpperCase(), hostname: RUNNING, "expiry-time": expiry },
      { "ip-address": `10.214.${subnet}.151`, "mac-address": stopped, hostname: STOPPED, "expiry-time": expiry },
    ]),
  );
  const vms = await listed();
  assert.deepEqual(vms.find((vm) => vm.name === RUNNING)!.ips, [`10.214.${subnet}.150`]);
  assert.deepEqual(vms.find((vm) => vm.name === STOPPED)!.ips, [], "a stopped VM's old lease is not its address");
  assert.deepEqual(vms.find((vm) => vm.name === RUNNING)!.guest, { agent: false, qga: false });
});

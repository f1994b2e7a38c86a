import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import { Connection } from "@/server/libvirt/connection";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { testRunRoot } from "../fixtures/paths";
import { run } from "../fixtures/run";
import { cleanupStaleSecondHosts, startSecondHost, type SecondHost } from "../fixtures/second-host";
import { TEST_DOMAIN_PREFIX, ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The second libvirt host the multi-host tests stand on (e2e/fixtures/second-host.ts): two start
 * side by side without meeting, each is a host of its own to the product's libvirt client (its
 * own UUID, none of this machine's VMs) over TCP and over ssh, a VM started there runs there, a crashed libvirtd is
 * reconnected to once it is back, and a stop leaves no namespace, interface, mount or process.
 */

const RUN = randomBytes(3).toString("hex");
const hosts: SecondHost[] = [];
const connections: Connection[] = [];
let here: IdleDomain;

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleSecondHosts();
  here = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}hostb-here-${RUN}`);
});

after(async () => {
  for (const conn of connections) await conn.close();
  for (const host of hosts) await host.stop();
  await here?.remove();
});

async function start(): Promise<SecondHost> {
  const host = await startSecondHost();
  hosts.push(host);
  return host;
}

function connect(uri: string): Connection {
  // Keepalive every 250 ms, 2 misses: a dead daemon is noticed within a second.
  const conn = new Connection(uri, { keepaliveIntervalMs: 250, keepaliveCount: 2, reconnectDelayMs: { min: 50, max: 250 }, callWaitMs: 20_000 });
  connections.push(conn);
  return conn;
}

async function hostUuidOf(conn: Connection): Promise<string> {
  const caps = await conn.connectGetCapabilities();
  return /<host>\s*<uuid>([^<]+)<\/uuid>/.exec(caps)?.[1] ?? "";
}

async function domainNames(conn: Connection): Promise<string[]> {
  const { domains } = await conn.connectListAllDomains({ needResults: 1, flags: 0 });
  return domains.map((d) => d.name);
}

test("two second hosts start side by side on their own subnets, each with its own host UUID and none of this machine's VMs", async () => {
  const [b, c] = await Promise.all([start(), start()]);
  assert.notEqual(b.address, c.address);
  const local = connect(libvirtUri());
  const [onB, onC] = [connect(b.uri), connect(c.uri)];
  assert.equal(await hostUuidOf(onB), b.hostUuid);
  assert.equal(await hostUuidOf(onC), c.hostUuid);
  const localUuid = await hostUuidOf(local);
  assert.ok(localUuid && localUuid !== b.hostUuid && localUuid !== c.hostUuid, `this machine's UUID ${localUuid} is its own`);
  assert.ok((await domainNames(local)).includes(here.name));
  assert.deepEqual(await domainNames(onB), []);
  assert.deepEqual(await domainNames(onC), []);
  await c.stop();
  hosts.splice(hosts.indexOf(c), 1);
});

test("the second host is reached over ssh too: the product's client through qemu+ssh (key only, its host key checked) sees the same host", async () => {
  const b = hosts[0]!;
  const overSsh = connect(b.sshUri);
  assert.equal(await hostUuidOf(overSsh), b.hostUuid);
  assert.deepEqual(await domainNames(overSsh), []);
});

test("a VM started on the second host runs there: its QEMU is in the host's namespace, and this machine does not list it", async () => {
  const b = hosts[0]!;
  const vm = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}hostb-vm-${RUN}`, { uri: b.uri });
  await virsh(["start", vm.name], { uri: b.uri });
  assert.equal(await vm.state(), "running");
  assert.ok(!(await domainNames(connect(libvirtUri()))).includes(vm.name));
  const qemu = await qemuPidOf(vm.name);
  assert.notEqual(await run("readlink", [`/proc/${qemu}/ns/net`]).then((r) => r.stdout), await run("readlink", ["/proc/self/ns/net"]).then((r) => r.stdout));
});

test("the second host's libvirtd killed with SIGKILL: the client notices it gone, and reconnects on its own once it is started again", async () => {
  const b = hosts[0]!;
  const conn = connect(b.uri);
  const vmName = `${TEST_DOMAIN_PREFIX}hostb-vm-${RUN}`;
  assert.deepEqual(await domainNames(conn), [vmName]);
  await b.killLibvirtd();
  await waitFor(() => conn.state !== "open", { timeoutMs: 10_000, intervalMs: 50, what: "the client to notice the dead libvirtd" });
  await b.restartLibvirtd();
  // The same connection object: its own reconnection, not a new connection, brings the host back.
  assert.deepEqual(await domainNames(conn), [vmName]);
  assert.equal(await virsh(["domstate", vmName], { uri: b.uri }), "running");
});

test("a stop ends the second host's VMs and daemons and leaves no namespace, interface, mount or state behind", async () => {
  const b = hosts.shift()!;
  const qemu = await qemuPidOf(`${TEST_DOMAIN_PREFIX}hostb-vm-${RUN}`);
  await b.stop();
  await waitFor(async () => !(await readFile(`/proc/${qemu}/stat`, "utf8").catch(() => "")), { timeoutMs: 10_000, what: "the second host's QEMU to end" });
  // Only this host's traces: another test run on this machine may have a second host of its own.
  const { stdout: netns } = await run("ip", ["netns", "list"]);
  assert.ok(!netns.includes(b.name), `network namespace ${b.name} is gone`);
  const { stdout: links } = await run("ip", ["-o", "link", "show"]);
  assert.ok(!links.includes(`${b.interfaceName}@`) && !links.includes(`${b.interfaceName}:`), `interface ${b.interfaceName} is gone`);
  const { stdout: addresses } = await run("ip", ["-o", "-4", "addr", "show"]);
  assert.ok(!addresses.includes(` ${b.peerAddress}/`), `address ${b.peerAddress} is gone`);
  assert.ok(!(await readFile("/proc/self/mounts", "utf8")).includes(b.name), "no mount names it");
  assert.ok(!(await readdir(testRunRoot())).includes(b.name), `state directory ${b.name} is gone`);
});

async function qemuPidOf(domain: string): Promise<number> {
  const { stdout } = await run("pgrep", ["-f", `guest=${domain},`]);
  const pid = Number.parseInt(stdout.trim().split("\n")[0] ?? "", 10);
  assert.ok(Number.isInteger(pid), `QEMU of ${domain} is running`);
  return pid;
}

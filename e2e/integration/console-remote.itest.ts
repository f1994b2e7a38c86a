import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { encode } from "next-auth/jwt";
import WebSocket from "ws";
import { createCaller } from "@/server/api/root";
import { ConsoleGate } from "@/server/console/gate";
import { connectVnc } from "@/server/console/service";
import { vncRoute } from "@/server/console/vnc-route";
import { unwatchAllHosts } from "@/server/events/bus";
import { getHost, ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import type { SessionUser } from "@/server/users/service";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { cleanupStaleSecondHosts, startSecondHost, type SecondHost } from "../fixtures/second-host";
import { ensureLibvirtd, libvirtUri, TEST_DOMAIN_PREFIX, virsh } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The graphical console of a VM on another host (issue 14): a second libvirtd in its own network
 * namespace (e2e/fixtures/second-host.ts) is added through the hosts API over ssh and over TLS; a VM
 * defined there (kvmm-test-vnc-b-<id>) has its VNC display on that host's loopback, another
 * (kvmm-test-vnc-b-any-<id>) on every address. Over ssh the console opens through the real console
 * WebSocket (ConsoleGate, a ticket, a signed session) and the bytes come from B's QEMU through ssh's
 * forward; over TLS the loopback one's ticket is refused in words that say what the host needs, and
 * the other one's console goes straight to B's address. B, its VMs and the data directory go in `after`.
 */
const RUN = randomBytes(3).toString("hex");
const data = mkdtempSync(path.join(tmpdir(), "kvmm-console-remote-"));
process.env.KVMM_DATA_DIR = data;
process.env.NEXTAUTH_SECRET ??= randomBytes(32).toString("hex");
const { db, cleanup } = tempDatabase();
const RFB_GREETING = "RFB 003.008\n";
let b: SecondHost;
let vm: IdleDomain;
let onNetwork: IdleDomain;
let user: SessionUser;
let admin: ReturnType<typeof createCaller>;
let sshId: string;
let tlsId: string;
let gate: ConsoleGate;
let server: http.Server;
let site: string;

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleSecondHosts();
  ensureLocalHost(db, libvirtUri());
  user = await addUser(db, "ada", "admin");
  admin = createCaller({ db, user, clientIp: "192.0.2.62" });
  b = await startSecondHost({ tls: true });
  vm = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}vnc-b-${RUN}`, { uri: b.uri, vncListen: "127.0.0.1" });
  await virsh(["start", vm.name], { uri: b.uri });
  onNetwork = await defineIdleDomain(`${TEST_DOMAIN_PREFIX}vnc-b-any-${RUN}`, { uri: b.uri, vncListen: "0.0.0.0" });
  await virsh(["start", onNetwork.name], { uri: b.uri });
  await b.authorizeKey((await admin.hosts.sshPublicKey()).publicKey);
  ({ id: sshId } = await admin.hosts.add({ transport: "ssh", name: "B over ssh", address: b.sshAddress, hostKey: b.sshHostKey }));
  const tls = b.tls!;
  ({ id: tlsId } = await admin.hosts.add({
    transport: "tls",
    name: "B over TLS",
    address: tls.address,
    caPem: tls.caPem,
    certPem: tls.certPem,
    keyPem: tls.keyPem,
  }));
  gate = new ConsoleGate({ tls: false, trustedProxies: new Set() }, { db: () => db });
  server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on("upgrade", (req, socket, head) => void gate.handleUpgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  site = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});

after(async () => {
  gate?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await unwatchAllHosts();
  await closeAllConnections();
  await vm?.remove();
  await onNetwork?.remove();
  await b?.stop();
  cleanup();
  rmSync(data, { recursive: true, force: true });
});

/** The ssh processes of this test forwarding to B (`ssh … -W <address:port> -- <B>`), with their argv. */
async function sshForwards(): Promise<string[][]> {
  const found: string[][] = [];
  for (const pid of (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry))) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== process.pid) continue;
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).split("\0").filter(Boolean);
    if (argv.includes("-W") && argv.includes(b.address)) found.push(argv);
  }
  return found;
}

interface Console {
  ws: WebSocket;
  received: () => Buffer;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens the console WebSocket as the console page does: this site's Origin, the session cookie, the ticket. */
async function openConsole(ticket: string): Promise<Console> {
  const token = await encode({ token: { sub: String(user.id), sid: user.sessionId }, secret: process.env.NEXTAUTH_SECRET! });
  const ws = new WebSocket(`${site.replace(/^http/, "ws")}/api/console?ticket=${ticket}`, {
    headers: { origin: site, cookie: `next-auth.session-token=${token}` },
  });
  let received = Buffer.alloc(0);
  ws.on("message", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("unexpected-response", (_req, res) => reject(new Error(`the upgrade was refused: ${res.statusCode}`)));
    ws.once("error", reject);
  });
  return { ws, received: () => received, closed };
}

function connectDirectly(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

test("a VM on a host added over ssh: its console carries B's QEMU's RFB protocol both ways through ssh, whose ssh ends with the console; B's VNC port is closed to this machine", async () => {
  const started = performance.now();
  const { ticket } = await admin.consoles.ticket({ hostId: sshId, uuid: vm.uuid, kind: "vnc" });
  const vnc = await openConsole(ticket);
  await waitFor(() => vnc.received().length >= RFB_GREETING.length, {
    timeoutMs: 20_000,
    what: "QEMU's RFB greeting",
    describe: () => vnc.received().toString("latin1"),
  });
  console.log(`figure: ticket to first RFB bytes over ssh: ${Math.round(performance.now() - started)} ms`);
  assert.equal(vnc.received().toString("latin1"), RFB_GREETING);

  // The browser's answer reaches QEMU: it offers its security types (one: None, as the manager's VNC devices have no password).
  vnc.ws.send(Buffer.from(RFB_GREETING, "latin1"));
  await waitFor(() => vnc.received().length >= RFB_GREETING.length + 2, { timeoutMs: 10_000, what: "QEMU's security types" });
  assert.deepEqual([...vnc.received().subarray(RFB_GREETING.length)], [1, 1]);

  const forwards = await sshForwards();
  assert.equal(forwards.length, 1, "one ssh forward for the open console");
  const target = forwards[0]![forwards[0]!.indexOf("-W") + 1]!;
  assert.match(target, /^127\.0\.0\.1:59\d\d$/);
  assert.deepEqual(forwards[0]!.slice(-2), ["--", b.address]);
  assert.ok(forwards[0]!.includes(`UserKnownHostsFile=${path.join(data, "hosts", sshId, "known_hosts")}`), "B's pinned host key");
  await assert.rejects(connectDirectly(b.address, Number(target.split(":")[1])), { code: "ECONNREFUSED" });

  vnc.ws.close();
  await vnc.closed;
  await waitFor(async () => (await sshForwards()).length === 0, { timeoutMs: 10_000, what: "the console's ssh forward to end" });
});

test("when nothing listens at the forwarded address on B, opening fails with ssh's words, naming VM and host", async () => {
  const context = `VM "${vm.name}" on host "${sshId}"`;
  const route = vncRoute(getHost(db, sshId).uri, { kind: "tcp", address: "127.0.0.1", port: 9 }, context);
  await assert.rejects(connectVnc(route, context), { message: `${context}: VNC through ssh: channel 0: open failed: connect failed: Connection refused` });
  await waitFor(async () => (await sshForwards()).length === 0, { timeoutMs: 10_000, what: "the failed ssh forward to end" });
});

test("a VM on a host added over TLS whose VNC listens on loopback gets no ticket, in words that say what the host needs", async () => {
  await assert.rejects(admin.consoles.ticket({ hostId: tlsId, uuid: vm.uuid, kind: "vnc" }), {
    message:
      `VM "${vm.name}" on host "${tlsId}": its VNC display listens on the host's loopback only, which the manager cannot reach over TLS; add the host over ssh, ` +
      `or make QEMU listen on an address the manager reaches (vnc_listen in the host's /etc/libvirt/qemu.conf, on a network only the manager uses: VNC is not encrypted there)`,
  });
});

test("a VM on a host added over TLS whose VNC listens on every address: its console opens straight to B's address, with no ssh", async () => {
  const port = Number(/<graphics type='vnc' port='(\d+)'/.exec(await virsh(["dumpxml", onNetwork.name], { uri: b.uri }))?.[1]);
  await connectDirectly(b.address, port);
  const { ticket } = await admin.consoles.ticket({ hostId: tlsId, uuid: onNetwork.uuid, kind: "vnc" });
  const vnc = await openConsole(ticket);
  await waitFor(() => vnc.received().length >= RFB_GREETING.length, {
    timeoutMs: 20_000,
    what: "QEMU's RFB greeting",
    describe: () => vnc.received().toString("latin1"),
  });
  assert.equal(vnc.received().toString("latin1"), RFB_GREETING);
  assert.deepEqual(await sshForwards(), []);
  vnc.ws.close();
  await vnc.closed;
});

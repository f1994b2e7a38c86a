import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { desc, like } from "drizzle-orm";
import { PROTOCOL_VERSION } from "../../agent/protocol";
import { createCallerFactory, router } from "../../server/api/trpc";
import { guestRouter } from "../../server/api/routers/guest";
import { vmsRouter } from "../../server/api/routers/vms";
import { auditLog } from "../../server/db/schema";
import type { Db } from "../../server/db/client";
import { parseDomainXml } from "../../server/domains/xml";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { startGuestHub, stopGuestHub, type GuestHub, type GuestStatus } from "../../server/guest";
import { AGENT_EXIT_MARKER, bootAgentGuest } from "../../server/guest/testing/agent-guest";
import { downloadFile, uploadFile, type AgentCaller } from "../../server/guest/transfer";
import type { TestGuestImage } from "../fixtures/guest-image";
import { READY_MARKER, cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The guest channel hub against a real QEMU guest running our bundled agent over a real
 * virtio-serial channel, through the API an operator uses. One guest serves every test, in order:
 * it is rebooted and finally shut down by the last tests.
 */

const HOST = "local";
const BOOT_MS = 180_000;

let guest: TestDomain;
let bootStartedAt = 0;
let image: TestGuestImage;
let hub: GuestHub;
let db: Db;
let cleanupDb: () => void;
let operator: SessionUser;
let viewer: SessionUser;
let admin: SessionUser;
/** Operators narrowed by grants: the guest's name (kvmm-test-agent-…) matches none of theirs. */
let byName: SessionUser;
let byTag: SessionUser;
let byHost: SessionUser;
const TAG = `agent-${randomBytes(3).toString("hex")}`;

const caller = createCallerFactory(router({ guest: guestRouter, vms: vmsRouter }));
const as = (user: SessionUser) => caller({ db, user, clientIp: "192.0.2.10" }).guest;
const vm = () => ({ hostId: HOST, uuid: guest.uuid });
const hosts = () => [{ id: HOST, uri: libvirtUri() }];
const status = (): GuestStatus | null => hub.status(HOST, guest.uuid);
const call: AgentCaller = (method, params, options) => hub.call(HOST, guest.uuid, method, params, options);

/** Waits until the agent is connected and `accept` likes its status. */
function connectedWhere(what: string, accept: (s: GuestStatus) => boolean, timeoutMs = BOOT_MS): Promise<GuestStatus> {
  return waitFor(
    () => {
      const s = status();
      return s?.agent.state === "connected" && accept(s) ? s : null;
    },
    {
      timeoutMs,
      intervalMs: 250,
      what,
      describe: async () => `hub status: ${JSON.stringify(status()?.agent ?? null)}\n${(await guest.serialLog()).split("\n").slice(-15).join("\n")}`,
    },
  );
}

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  operator = await addUser(db, "otto", "operator");
  viewer = await addUser(db, "vera", "viewer");
  admin = await addUser(db, "ada", "admin");
  byName = await addUser(db, "nora", "operator", [{ kind: "name", value: "kvmm-test-grant-a*" }]);
  byTag = await addUser(db, "tess", "operator", [{ kind: "tag", value: TAG }]);
  byHost = await addUser(db, "hank", "operator", [{ kind: "host", value: HOST }]);
  bootStartedAt = Date.now();
  ({ guest, image } = await bootAgentGuest({ label: "agent", network: true }));
  hub = await startGuestHub({ hosts });
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanupDb?.();
});

test("the hub connects to the agent over the real virtio-serial channel", async () => {
  const s = await connectedWhere("the agent to connect", () => true);
  assert.equal(s.agent.transport, "socket");
  assert.equal(s.agent.info?.name, "kvmmanager-agent");
  assert.equal(s.agent.info?.protocol_version, PROTOCOL_VERSION);
  assert.equal(s.agent.info?.platform.os, "linux");
  assert.equal(s.agent.info?.platform.hostname, guest.hostname);
  assert.ok(s.agent.info?.capabilities.includes("exec"), "exec is enabled by the test config");
  assert.deepEqual(s.qga, { channel: false, connected: false });
  const viaApi = await as(viewer).status(vm());
  assert.equal(viaApi.agent.state, "connected");
  await connectedWhere("a telemetry notification", (x) => x.agent.telemetryAt !== null, 30_000);
});

test("system, network and disk facts are plausible and come from the agent", async () => {
  const xml = parseDomainXml(await guest.liveXml());
  const mac = xml.nics[0]?.mac;
  assert.ok(mac, "the test domain has a NIC");
  // udhcpc may still be negotiating in the background when the agent starts.
  const facts = await waitFor(
    async () => {
      const f = await as(viewer).facts(vm());
      const eth0 = f.network.value?.find((i) => i.mac === mac);
      return eth0?.addresses.some((a) => a.family === "ipv4") ? f : null;
    },
    { timeoutMs: 60_000, intervalMs: 1_000, what: "eth0 to have an IPv4 address" },
  );
  assert.deepEqual(facts.sources, { agent: "connected", qga: "absent" });
  assert.deepEqual(facts.system.hostname, { value: guest.hostname, source: "agent" });
  assert.equal(facts.system.kernel.source, "agent");
  assert.equal(facts.system.kernel.value?.release, image.kernelRelease);
  assert.equal(facts.system.cpu.value?.count, 1);
  const memory = facts.system.memory.value!;
  assert.ok(memory.totalBytes > 400 * 2 ** 20 && memory.totalBytes <= 512 * 2 ** 20, `memory ${memory.totalBytes}`);
  // Up since this test started booting it, no longer.
  const uptime = facts.system.uptimeSeconds.value!;
  assert.ok(uptime > 0 && uptime <= (Date.now() - bootStartedAt) / 1000 + 1, `uptime ${uptime} s`);

  const eth0 = facts.network.value!.find((i) => i.mac === mac)!;
  assert.equal(eth0.up, true);
  assert.ok(
    eth0.addresses.some((a) => a.family === "ipv4" && a.address.startsWith("10.0.2.")),
    JSON.stringify(eth0.addresses),
  );
  const lo = facts.network.value!.find((i) => i.name === "lo");
  assert.ok(lo?.addresses.some((a) => a.address === "127.0.0.1"));

  const tmp = facts.disks.value?.find((d) => d.mountpoint === "/tmp");
  assert.equal(facts.disks.source, "agent");
  assert.equal(tmp?.fstype, "tmpfs");
  // The guest's /tmp is a tmpfs: at most the guest's memory.
  assert.ok(tmp!.totalBytes! > 0 && tmp!.totalBytes! <= memory.totalBytes, `/tmp ${tmp!.totalBytes} bytes`);

  const metrics = await as(viewer).metrics(vm());
  assert.equal(metrics.memory.total_bytes, memory.totalBytes);
  const procs = await as(viewer).processes({ ...vm(), sortBy: "memory", limit: 50 });
  // The agent runs in its launcher's process (self-update), so it is known by its pid, not its file.
  const agentPid = (await connectedWhere("the agent's facts", () => true)).agent.info!.pid;
  const self = procs.processes.find((p) => p.pid === agentPid);
  assert.ok(self?.command.includes("kvmm-launcher.cjs"), `the agent lists itself (pid ${agentPid}): ${JSON.stringify(self)}`);
});

test("exec runs programs in the guest, with output, exit status and timeouts; viewers may not", async () => {
  const uname = await as(operator).exec({ ...vm(), command: "uname", args: ["-r"] });
  assert.equal(uname.exit_code, 0);
  assert.equal(uname.stdout.trim(), image.kernelRelease);

  const cat = await as(operator).exec({ ...vm(), command: "cat", stdin: "hello from the host\n" });
  assert.equal(cat.stdout, "hello from the host\n");
  const printenv = await as(operator).exec({
    ...vm(),
    command: "sh",
    args: ["-c", 'printf %s "$KVMM_DB_PASSWORD"'],
    env: { KVMM_DB_PASSWORD: "env-secret-42" },
  });
  assert.equal(printenv.stdout, "env-secret-42");

  const fails = await as(operator).exec({ ...vm(), command: "false" });
  assert.equal(fails.exit_code, 1);

  const slow = await as(operator).exec({ ...vm(), command: "sleep", args: ["30"], timeoutMs: 1_000 });
  assert.equal(slow.timed_out, true);
  assert.equal(slow.signal, "SIGKILL");

  await assert.rejects(as(viewer).exec({ ...vm(), command: "id" }), (err) => err instanceof TRPCError && err.code === "FORBIDDEN");
  await assert.rejects(as(operator).exec({ ...vm(), command: "/nonexistent/program" }), (err) => err instanceof TRPCError && err.code === "NOT_FOUND");

  const rows = db.select().from(auditLog).where(like(auditLog.action, "guest.exec")).orderBy(desc(auditLog.id)).all();
  assert.ok(rows.length >= 6, "every exec, refused ones too, is audited");
  assert.ok(rows.some((r) => r.result === "ok" && r.target === `VM "${guest.name}" on host "${HOST}"` && r.input?.includes('"uname"')));
  assert.ok(rows.some((r) => r.result === "denied" && r.username === "vera"));
  const logged = rows.map((r) => r.input ?? "").join("\n");
  assert.ok(!logged.includes("hello from the host") && !logged.includes("env-secret-42"), `stdin or an env value reached the audit log: ${logged}`);
  assert.ok(logged.includes("KVMM_DB_PASSWORD"), "the variable's name is kept");
});

test("exec and file reads answer NOT_FOUND, naming only the UUID, to an operator whose grants do not cover the guest; a tag or host grant covering it lets them exec", async () => {
  await connectedWhere("the agent", () => true);
  const notFound = { code: "NOT_FOUND", message: `VM ${guest.uuid} on host "${HOST}": not found` };
  const refusal = (what: string, promise: Promise<unknown>) =>
    promise.then(
      () => assert.fail(`${what} was not refused`),
      (err: unknown) => {
        assert.ok(err instanceof TRPCError, String(err));
        return { code: err.code, message: err.message };
      },
    );
  for (const [who, user] of [
    ["the name-granted operator", byName],
    ["the tag-granted operator, before the guest is tagged", byTag],
  ] as const) {
    assert.deepEqual(await refusal(`${who}: exec`, as(user).exec({ ...vm(), command: "true" })), notFound);
    assert.deepEqual(await refusal(`${who}: fileRead`, as(user).fileRead({ ...vm(), path: "/tmp/x", offset: 0, length: 1 })), notFound);
  }

  await caller({ db, user: admin, clientIp: "192.0.2.10" }).vms.setTags({ ...vm(), tags: [TAG] });
  for (const user of [byTag, byHost]) {
    const echo = await as(user).exec({ ...vm(), command: "echo", args: [user.username] });
    assert.equal(echo.stdout, `${user.username}\n`);
  }
  assert.deepEqual(await refusal("the name-granted operator, after the tag: exec", as(byName).exec({ ...vm(), command: "true" })), notFound);
});

test("a few MiB round-trip through chunked file_write / file_read with equal SHA-256", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 12_345);
  const path = "/tmp/kvmm-roundtrip.bin";
  const up = await uploadFile(call, path, data, { chunkBytes: 1024 * 1024 });
  const stat = await as(operator).fileStat({ ...vm(), path, sha256: true });
  assert.equal(stat.size, data.length);
  assert.equal(stat.sha256, up.sha256);
  const down = await downloadFile(call, path, { chunkBytes: 1024 * 1024 });
  assert.equal(down.sha256, up.sha256);
  assert.ok(down.data.equals(data));

  // The same through the API, one chunk each way, and what the audit log keeps of it.
  const chunk = randomBytes(200_000);
  const written = await as(operator).fileWrite({ ...vm(), path: "/tmp/kvmm-api.bin", contentBase64: chunk.toString("base64") });
  assert.equal(written.size, chunk.length);
  const read = await as(operator).fileRead({ ...vm(), path: "/tmp/kvmm-api.bin", offset: 0, length: 1024 * 1024 });
  assert.equal(read.eof, true);
  assert.ok(Buffer.from(read.content_base64, "base64").equals(chunk));
  const listing = await as(operator).fileList({ ...vm(), path: "/tmp" });
  assert.ok(listing.entries.some((e) => e.name === "kvmm-api.bin" && e.size === chunk.length));
  const [writeRow] = db.select().from(auditLog).where(like(auditLog.action, "guest.fileWrite")).orderBy(desc(auditLog.id)).limit(1).all();
  assert.ok(writeRow?.input?.includes("/tmp/kvmm-api.bin"));
  assert.ok(!writeRow!.input!.includes(chunk.toString("base64").slice(0, 12)), "file content reached the audit log");
  const [readRow] = db.select().from(auditLog).where(like(auditLog.action, "guest.fileRead")).orderBy(desc(auditLog.id)).limit(1).all();
  assert.equal(readRow?.result, "ok");
  assert.equal(readRow?.target, `VM "${guest.name}" on host "${HOST}": /tmp/kvmm-api.bin`);

  await assert.rejects(
    as(operator).fileRead({ ...vm(), path: "/etc/passwd", offset: 0, length: 100 }),
    (err) => err instanceof TRPCError && err.code === "FORBIDDEN",
    "paths outside the agent's allowed roots are refused",
  );
});

test("killing the agent inside the guest: it is restarted and the hub reconnects by itself", async () => {
  const before = await connectedWhere("the agent", () => true);
  const pid = before.agent.info!.pid;
  const exitsBefore = [...(await guest.serialLog()).matchAll(AGENT_EXIT_MARKER)].length;
  // The agent dies while handling this request, so the answer never comes: the call fails.
  await call("exec_command", { command: "kill", args: ["-9", String(pid)] }, { timeoutMs: 60_000 }).catch(() => undefined);
  const after = await connectedWhere("the restarted agent", (s) => s.agent.handshakes > before.agent.handshakes && s.agent.info?.pid !== pid);
  assert.notEqual(after.agent.info?.started_at, before.agent.info?.started_at);
  assert.equal([...(await guest.serialLog()).matchAll(AGENT_EXIT_MARKER)].length, exitsBefore + 1);
  assert.equal((await call("ping")).pong, true);
});

test("a restarted hub reconnects to the running agent", async () => {
  const before = await connectedWhere("the agent", () => true);
  await stopGuestHub();
  hub = await startGuestHub({ hosts });
  const after = await connectedWhere("the agent, from the new hub", () => true, 60_000);
  assert.equal(after.agent.info?.pid, before.agent.info?.pid, "the agent itself did not restart");
  assert.equal(after.agent.handshakes, 1);
});

test("a hub that reaches the agent through a libvirt channel stream, as for remote hosts, works too", async () => {
  await stopGuestHub();
  try {
    hub = await startGuestHub({ hosts, channelMode: "stream" });
    const s = await connectedWhere("the agent over a libvirt stream", () => true, 60_000);
    assert.equal(s.agent.transport, "stream");
    const echo = await call("exec_command", { command: "echo", args: ["through libvirtd"] });
    assert.equal(echo.stdout, "through libvirtd\n");
    const data = randomBytes(1024 * 1024 + 3);
    const up = await uploadFile(call, "/tmp/kvmm-stream.bin", data, { chunkBytes: 512 * 1024 });
    assert.equal((await downloadFile(call, "/tmp/kvmm-stream.bin")).sha256, up.sha256);
  } finally {
    await stopGuestHub();
    hub = await startGuestHub({ hosts });
  }
  await connectedWhere("the agent, back over the socket", (s) => s.agent.transport === "socket", 60_000);
});

test("reboot through the agent: the guest comes back and the hub reconnects", async () => {
  const before = await connectedWhere("the agent", () => true);
  const bootBefore = (await call("get_system_info")).boot_time;
  const logLength = (await guest.serialLog()).length;
  const result = await as(operator).reboot(vm());
  assert.deepEqual(result, { via: "agent", method: "config" });
  await guest.waitForSerial(READY_MARKER, { since: logLength, timeoutMs: BOOT_MS });
  await connectedWhere(
    "the agent after the reboot",
    (s) => s.agent.handshakes > before.agent.handshakes && s.agent.info?.started_at !== before.agent.info?.started_at,
  );
  assert.equal(await guest.state(), "running", "the same domain, reset rather than restarted");
  const bootAfter = (await call("get_system_info")).boot_time;
  assert.ok(Date.parse(bootAfter) > Date.parse(bootBefore), `a fresh boot: ${bootBefore} → ${bootAfter}`);
});

test("shutdown through the agent powers the domain off and the hub lets go of it", async () => {
  await connectedWhere("the agent", () => true);
  const result = await as(operator).shutdown(vm());
  assert.equal(result.via, "agent");
  await guest.waitForState("shut off", 120_000);
  await waitFor(() => status() === null, { timeoutMs: 30_000, what: "the hub to forget the stopped VM" });
  await assert.rejects(as(operator).exec({ ...vm(), command: "true" }), (err) => err instanceof TRPCError && err.code === "CONFLICT");
});

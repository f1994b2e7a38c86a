import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { TRPCError } from "@trpc/server";
import { createCallerFactory, router } from "../../server/api/trpc";
import { guestRouter } from "../../server/api/routers/guest";
import type { Db } from "../../server/db/client";
import { ensureLocalHost } from "../../server/hosts/service";
import { closeAllConnections } from "../../server/libvirt/registry";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import type { SessionUser } from "../../server/users/service";
import { startGuestHub, stopGuestHub, type GuestHub } from "../../server/guest";
import { TEST_AGENT_CONFIG, bootAgentGuest } from "../../server/guest/testing/agent-guest";
import { auditTargets } from "../../server/audit/targets";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The Files tab's server side against a real guest that runs our agent and stock qemu-ga side by
 * side: rename and remove through our agent, and chunked transfers by path through qemu-ga.
 */

const HOST = "local";
let guest: TestDomain;
let hub: GuestHub;
let db: Db;
let cleanupDb: () => void;
let operator: SessionUser;
let viewer: SessionUser;

const caller = createCallerFactory(router({ guest: guestRouter }));
const as = (user: SessionUser) => caller({ db, user, clientIp: "192.0.2.10" }).guest;
const vm = () => ({ hostId: HOST, uuid: guest.uuid });
const target = (part: string) => auditTargets.inVm(auditTargets.vm(HOST, guest.name), part);
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  operator = await addUser(db, "otto", "operator");
  viewer = await addUser(db, "vera", "viewer");
  ({ guest } = await bootAgentGuest({ label: "files", qemuGuestAgent: true, memoryMiB: 512 }));
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  await waitFor(
    () => {
      const s = hub.status(HOST, guest.uuid);
      return s?.agent.state === "connected" && s.qga.connected ? s : null;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: "our agent and qemu-ga to connect" },
  );
});

after(async () => {
  await stopGuestHub();
  await guest?.destroy();
  await closeAllConnections();
  cleanupDb?.();
});

test("fileAccess says our agent serves files, from its allowed paths, with rename and remove; a viewer is refused", async () => {
  const access = await as(operator).fileAccess(vm());
  assert.equal(access.running, true);
  assert.equal(access.via, "agent");
  assert.equal(access.atomicUpload, true);
  assert.deepEqual(access.roots, TEST_AGENT_CONFIG.allowed_paths);
  assert.equal(access.chunkBytes, 1024 * 1024);
  assert.deepEqual(access.qga, { channel: true, connected: true });
  await assert.rejects(as(viewer).fileAccess(vm()), (err: unknown) => err instanceof TRPCError && err.code === "FORBIDDEN");
});

test("an upload under a temporary name is renamed over the target in one step; remove takes a temporary away; both audited", async () => {
  const api = as(operator);
  const data = randomBytes(300_000);
  const path = "/tmp/files-itest.bin";
  const temp = "/tmp/.files-itest.bin.kvmm-upload-0123456789ab";
  await api.fileWrite({ ...vm(), path, contentBase64: Buffer.from("old").toString("base64") });
  const mark = auditMark(db);
  await api.fileWrite({ ...vm(), path: temp, contentBase64: data.toString("base64"), offset: 0 });
  assert.equal((await api.fileStat({ ...vm(), path: temp, sha256: true })).sha256, sha(data));
  assert.deepEqual(await api.fileRename({ ...vm(), from: temp, to: path }), { from: temp, to: path });
  const stat = await api.fileStat({ ...vm(), path, sha256: true });
  assert.equal(stat.size, data.length);
  assert.equal(stat.sha256, sha(data));

  await api.fileWrite({ ...vm(), path: temp, contentBase64: "eA==", offset: 0 });
  assert.deepEqual(await api.fileRemove({ ...vm(), path: temp }), { path: temp });
  const names = (await api.fileList({ ...vm(), path: "/tmp" })).entries.map((e) => e.name);
  assert.ok(names.includes("files-itest.bin"));
  assert.ok(!names.some((n) => n.includes("kvmm-upload")), names.join(", "));
  await assert.rejects(api.fileRemove({ ...vm(), path: "/etc/hostname" }), (err: unknown) => err instanceof TRPCError && err.code === "FORBIDDEN");
  assertAuditedSince(db, mark, [
    { action: "guest.fileWrite", target: target(temp) },
    { action: "guest.fileRename", target: target(path) },
    { action: "guest.fileWrite", target: target(temp) },
    { action: "guest.fileRemove", target: target(temp) },
    { action: "guest.fileRemove", target: target("/etc/hostname"), result: "error" },
  ]);
});

test("through qemu-ga: a file goes up and comes back equal in 64 KiB chunks, with its size", async () => {
  const api = as(operator);
  const chunk = 64 * 1024;
  const data = randomBytes(3 * chunk + 1234);
  const path = "/tmp/files-itest-qga.bin";
  for (let offset = 0; offset < data.length; offset += chunk) {
    const part = data.subarray(offset, offset + chunk);
    assert.deepEqual(await api.qgaFileWrite({ ...vm(), path, offset, contentBase64: part.toString("base64") }), { bytesWritten: part.length });
  }
  const parts: Buffer[] = [];
  for (let offset = 0; ;) {
    const read = await api.qgaFileRead({ ...vm(), path, offset, length: chunk });
    assert.equal(read.size, data.length);
    parts.push(Buffer.from(read.contentBase64, "base64"));
    offset += read.length;
    if (read.eof) break;
  }
  assert.equal(sha(Buffer.concat(parts)), sha(data));
  // The same file through our agent: qemu-ga wrote exactly these bytes.
  assert.equal((await api.fileStat({ ...vm(), path, sha256: true })).sha256, sha(data));
});

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile, rm } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { createCallerFactory } from "@/server/api/trpc";
import { storageRouter } from "@/server/api/routers/storage";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { deletePool } from "@/server/storage/pools";
import { resolveVolumePath } from "@/server/storage/volumes";
import { receiveUpload, type TransferView } from "@/server/storage/transfers";
import { subscribe, type ManagerEvent } from "@/server/events/bus";
import type { SessionUser } from "@/server/users/service";
import type { Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { assertAuditedSince, auditMark } from "../fixtures/audit";

/**
 * Filling volumes from outside, against the real libvirtd: uploads that are cut off and resumed
 * arrive byte-equal, a wrong SHA-256 deletes the volume, a size the pool cannot hold is refused
 * before anything is written, and the host downloads from an http URL (here a server in this
 * process on 127.0.0.1) with its redirects checked. Named kvmm-test-*, removed in `after`.
 */

const MiB = 1024 * 1024;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-xfer-${id}`;
const POOL_DIR = `/tmp/${POOL}`;
const volumeTarget = (volume: string) => auditTargets.volume("local", POOL, volume);

const caller = createCallerFactory(storageRouter);
let db: Db;
let cleanupDb: () => void;
let admin: ReturnType<typeof caller>;
let adminUser: SessionUser;
let other: SessionUser;
let server: Server;
let base: string;
const served = new Map<string, { status?: number; location?: string; body?: Buffer; chunked?: boolean }>();

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  adminUser = await addUser(db, "ada", "admin");
  other = await addUser(db, "otto", "admin");
  admin = caller({ db, user: adminUser, clientIp: "192.0.2.10" });
  await admin.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
  server = createServer((req, res) => {
    const entry = served.get(req.url ?? "");
    if (!entry) return void res.writeHead(404).end();
    if (entry.location) return void res.writeHead(entry.status ?? 302, { location: entry.location }).end();
    // Without Content-Length (chunked), the size is not known until the end.
    res.writeHead(200, entry.chunked ? {} : { "content-length": String(entry.body!.length) });
    res.end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.close();
  await deletePool(resolveHost(db, "local"), POOL, { deleteData: true }).catch(() => undefined);
  await virsh(["pool-destroy", POOL]).catch(() => undefined);
  await virsh(["pool-undefine", POOL]).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb();
});

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** A request body that delivers `data` in 256 KiB pieces, then (if `dropAfter`) fails like a dropped connection. */
async function* body(data: Buffer, dropAfter?: number): AsyncGenerator<Uint8Array> {
  const end = dropAfter ?? data.length;
  for (let at = 0; at < end; at += 256 * 1024) yield data.subarray(at, Math.min(at + 256 * 1024, end));
  if (dropAfter !== undefined) throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
}

async function volumeBytes(name: string): Promise<Buffer> {
  return readFile(await resolveVolumePath(resolveHost(db, "local"), POOL, name));
}

async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof TRPCError, `expected a TRPCError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the call to fail");
}

test("an upload cut off mid-way resumes at the committed byte and arrives byte-equal with its SHA-256 checked", async () => {
  const data = randomBytes(12 * MiB + 12345);
  const name = "resumed.iso";
  const mark = auditMark(db);
  const started = await admin.startUpload({
    hostId: "local",
    pool: POOL,
    name,
    sizeBytes: data.length,
    fileName: "my.iso",
    sha256: sha256(data).toUpperCase(),
  });
  assert.equal(started.state, "paused");
  assert.equal(started.bytes, 0);
  const host = resolveHost(db, "local");

  const cut = 5 * MiB + 777;
  const first = await receiveUpload(host, adminUser, started.id, { offset: 0, length: data.length, body: body(data, cut) });
  assert.equal(first.state, "paused", "a dropped connection pauses the upload");
  assert.equal(first.bytes, cut, "every byte that arrived is committed");

  const wrongOffset = receiveUpload(host, adminUser, started.id, { offset: 0, length: data.length, body: body(data) });
  await assert.rejects(wrongOffset, /continues at byte 5243657, not 0/);
  await assert.rejects(
    receiveUpload(host, other, started.id, { offset: cut, length: data.length - cut, body: body(data.subarray(cut)) }),
    /no such upload of yours/,
  );

  const done = await receiveUpload(host, adminUser, started.id, { offset: cut, length: data.length - cut, body: body(data.subarray(cut)) });
  assert.equal(done.state, "done");
  assert.equal(done.bytes, data.length);
  assert.equal(done.sha256, sha256(data));
  assert.ok((await volumeBytes(name)).equals(data), "the volume's file holds exactly the uploaded bytes");
  assertAuditedSince(db, mark, [{ action: "startUpload", target: volumeTarget(name) }]);
  const listed = await admin.transfers({ hostId: "local", pool: POOL });
  assert.equal(listed.find((t) => t.id === started.id)?.state, "done");
});

test("an upload whose bytes do not match the SHA-256 given is deleted, and the user is told in words", async () => {
  const data = randomBytes(2 * MiB);
  const name = "wrong-sum.iso";
  const started = await admin.startUpload({ hostId: "local", pool: POOL, name, sizeBytes: data.length, fileName: "x.iso", sha256: "0".repeat(64) });
  const ended = await receiveUpload(resolveHost(db, "local"), adminUser, started.id, { offset: 0, length: data.length, body: body(data) });
  assert.equal(ended.state, "failed");
  assert.equal(ended.error, `The file's SHA-256 is ${sha256(data)}, not the ${"0".repeat(64)} you gave: the volume ${name} was deleted.`);
  const volumes = await admin.volumes({ hostId: "local", pool: POOL });
  assert.ok(!volumes.some((v) => v.name === name), "the volume is gone");
});

test("an upload larger than the pool's free space is refused before a volume is made; a cancelled one is deleted", async () => {
  const tooBig = await trpcError(admin.startUpload({ hostId: "local", pool: POOL, name: "huge.iso", sizeBytes: 60 * 1024 ** 4, fileName: "huge.iso" }));
  assert.equal(tooBig.code, "BAD_REQUEST");
  assert.match(tooBig.message, /the file needs 61440\.00 GiB but the pool has [\d.]+ GiB free/);
  assert.ok(!(await admin.volumes({ hostId: "local", pool: POOL })).some((v) => v.name === "huge.iso"));

  const data = randomBytes(3 * MiB);
  const started = await admin.startUpload({ hostId: "local", pool: POOL, name: "dropped.iso", sizeBytes: data.length, fileName: "d.iso" });
  await receiveUpload(resolveHost(db, "local"), adminUser, started.id, { offset: 0, length: data.length, body: body(data, MiB) });
  const mark = auditMark(db);
  await admin.cancelTransfer({ hostId: "local", pool: POOL, id: started.id });
  assertAuditedSince(db, mark, [{ action: "cancelTransfer", target: auditTargets.pool("local", POOL) }]);
  assert.ok(!(await admin.volumes({ hostId: "local", pool: POOL })).some((v) => v.name === "dropped.iso"), "the cancelled upload's volume is deleted");
  assert.ok(!(await admin.transfers({ hostId: "local", pool: POOL })).some((t) => t.id === started.id));
});

/** The transfer's last event once it has ended. */
function ended(transferId: string): Promise<TransferView> {
  return new Promise((resolve) => {
    const off = subscribe((event: ManagerEvent) => {
      if (event.type === "storage.transfer" && event.transfer.id === transferId && event.transfer.endedAt) {
        off();
        resolve(event.transfer);
      }
    });
  });
}

test("the host downloads an http URL through a redirect, with progress events, and the SHA-256 checked", async () => {
  const data = randomBytes(6 * MiB + 3);
  served.set("/images/a.iso", { body: data });
  served.set("/latest.iso", { location: "/images/a.iso" });
  const progress: number[] = [];
  const off = subscribe((event) => event.type === "storage.transfer" && event.transfer.volume === "from-url.iso" && progress.push(event.transfer.bytes));
  const started = await admin.downloadFromUrl({ hostId: "local", pool: POOL, name: "from-url.iso", url: `${base}/latest.iso`, sha256: sha256(data) });
  const end = await ended(started.id);
  off();
  assert.equal(end.state, "done", end.error ?? "");
  assert.equal(end.totalBytes, data.length);
  assert.ok(progress.length >= 2, "progress was published while it ran");
  assert.ok((await volumeBytes("from-url.iso")).equals(data), "the volume holds the served bytes");
});

test("a wrong SHA-256 deletes a downloaded volume, with the reason in words", async () => {
  const data = randomBytes(3 * MiB + 5);
  served.set("/bad.iso", { body: data });
  const bad = await admin.downloadFromUrl({ hostId: "local", pool: POOL, name: "bad.iso", url: `${base}/bad.iso`, sha256: "f".repeat(64) });
  const badEnd = await ended(bad.id);
  assert.equal(badEnd.state, "failed");
  assert.equal(badEnd.error, `The file's SHA-256 is ${sha256(data)}, not the ${"f".repeat(64)} you gave: the volume bad.iso was deleted.`);
  assert.ok(!(await admin.volumes({ hostId: "local", pool: POOL })).some((v) => v.name === "bad.iso"), "the volume is gone");
});

test("URL downloads are refused for other schemes, credentials in the address, redirects to them, and error answers", async () => {
  served.set("/to-ftp", { location: "ftp://example.invalid/x.iso" });
  served.set("/chunked.iso", { body: randomBytes(1024), chunked: true });
  const cases: [string, RegExp][] = [
    ["file:///etc/passwd", /Only http:\/\/ and https:\/\/ addresses can be downloaded, not file:\/\//],
    [`http://user:secret@127.0.0.1/x.iso`, /Put no user name or password in the address/],
    [`${base}/to-ftp`, /redirects elsewhere: Only http:\/\/ and https:\/\/ addresses can be downloaded, not ftp:\/\//],
    [`${base}/missing.iso`, /answered 404/],
    [`${base}/chunked.iso`, /does not say how large the file is \(no Content-Length\)/],
  ];
  for (const [url, message] of cases) {
    const err = await trpcError(admin.downloadFromUrl({ hostId: "local", pool: POOL, name: "refused.iso", url }));
    assert.match(err.message, message, url);
  }
  assert.ok(!(await admin.volumes({ hostId: "local", pool: POOL })).some((v) => v.name === "refused.iso"), "no volume was made");
});

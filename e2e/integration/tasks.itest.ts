import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readdir, rm } from "node:fs/promises";
import { createCallerFactory } from "@/server/api/trpc";
import { storageRouter } from "@/server/api/routers/storage";
import { tasksRouter } from "@/server/api/routers/tasks";
import { ensureLocalHost } from "@/server/hosts/service";
import { resolveHost } from "@/server/hosts/connection";
import { closeAllConnections } from "@/server/libvirt/registry";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { deletePool } from "@/server/storage/pools";
import { receiveUpload } from "@/server/storage/transfers";
import { subscribe } from "@/server/events/bus";
import type { TaskSummary } from "@/server/tasks/store";
import type { SessionUser } from "@/server/users/service";
import type { Db } from "@/server/db/client";
import { auditTargets } from "@/server/audit/targets";
import { ensureLibvirtd, libvirtUri, virsh } from "../fixtures/test-host";
import { assertAuditedSince, auditMark } from "../fixtures/audit";
import { waitFor } from "../fixtures/wait";

/**
 * Tasks on the real libvirtd (server/tasks/): an upload into a pool runs as a task whose bytes
 * move on the event stream and which ends succeeded with its SHA-256; a URL download cancelled
 * from the tasks API mid-stream ends cancelled with its volume deleted and nothing left in the
 * pool's directory. Named kvmm-test-*, removed in `after`.
 */

const MiB = 1024 * 1024;
const id = randomBytes(4).toString("hex");
const POOL = `kvmm-test-tasks-${id}`;
const POOL_DIR = `/tmp/${POOL}`;

let db: Db;
let cleanupDb: () => void;
let adminUser: SessionUser;
const storageCaller = createCallerFactory(storageRouter);
const tasksCaller = createCallerFactory(tasksRouter);
let storage: ReturnType<typeof storageCaller>;
let tasks: ReturnType<typeof tasksCaller>;
let server: Server;
let base: string;
/** The slow download's response, held open until the test is done with it. */
let held: ServerResponse | null = null;

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup: cleanupDb } = tempDatabase());
  ensureLocalHost(db, libvirtUri());
  adminUser = await addUser(db, "ada", "admin");
  const ctx = { db, user: adminUser, clientIp: "192.0.2.11" };
  storage = storageCaller(ctx);
  tasks = tasksCaller(ctx);
  await storage.definePool({ hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, start: true, autostart: false });
  // Announces 8 MiB, sends 1 MiB, then waits: a download that is under way when it is cancelled.
  server = createServer((_req, res) => {
    res.writeHead(200, { "content-length": String(8 * MiB) });
    res.write(randomBytes(MiB));
    held = res;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  held?.destroy();
  server?.close();
  await deletePool(resolveHost(db, "local"), POOL, { deleteData: true }).catch(() => undefined);
  await virsh(["pool-destroy", POOL]).catch(() => undefined);
  await virsh(["pool-undefine", POOL]).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
  await closeAllConnections();
  cleanupDb();
});

async function* pieces(data: Buffer): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 256 * 1024) {
    // A pause between pieces, so the 500 ms progress reports see the bytes move.
    await new Promise((resolve) => setTimeout(resolve, 150));
    yield data.subarray(at, Math.min(at + 256 * 1024, data.length));
  }
}

test("an upload runs as a task: its bytes move on the event stream and it ends succeeded with the volume's SHA-256", async () => {
  const data = randomBytes(4 * MiB);
  const seen: TaskSummary[] = [];
  const off = subscribe((event) => event.type === "task" && seen.push(event.task));
  const started = await storage.startUpload({ hostId: "local", pool: POOL, name: "up.iso", sizeBytes: data.length, fileName: "up.iso" });
  assert.match(started.taskId, /^[0-9a-f]{24}$/);
  const running = await tasks.list({ state: "running" });
  assert.deepEqual(
    running.map((t) => [t.id, t.kind, t.targetName, t.bytesTotal]),
    [[started.taskId, "volume.upload", `${POOL}/up.iso`, data.length]],
  );
  await receiveUpload(resolveHost(db, "local"), adminUser, started.id, { offset: 0, length: data.length, body: pieces(data) });
  off();
  const task = await tasks.get({ id: started.taskId });
  assert.equal(task.state, "succeeded", task.error ?? "");
  assert.equal(task.bytesDone, data.length);
  assert.equal(task.result?.sha256, (await storage.transfers({ hostId: "local", pool: POOL })).find((t) => t.id === started.id)?.sha256);
  const midway = seen.filter((t) => t.id === started.taskId && t.state === "running" && t.bytesDone! > 0 && t.bytesDone! < data.length);
  assert.ok(midway.length >= 1, `progress between 0 and the total was published (saw ${seen.map((t) => t.bytesDone).join(", ")})`);
  assert.ok(task.log.lines.some((l) => l.text === "Receiving up.iso from the browser"));
});

test("a URL download cancelled through its task stops mid-stream, ends cancelled and leaves no volume behind", async () => {
  const started = await storage.downloadFromUrl({ hostId: "local", pool: POOL, name: "slow.iso", url: `${base}/slow.iso` });
  await waitFor(async () => ((await tasks.get({ id: started.taskId })).bytesDone ?? 0) >= MiB, { timeoutMs: 20_000, what: "the first MiB to arrive" });
  const mark = auditMark(db);
  const asked = await tasks.cancel({ id: started.taskId });
  assert.equal(asked.id, started.taskId);
  assertAuditedSince(db, mark, [{ action: "cancel", target: auditTargets.volume("local", POOL, "slow.iso") }]);
  await waitFor(async () => (await tasks.get({ id: started.taskId })).state !== "running", { timeoutMs: 20_000, what: "the task to end" });
  const task = await tasks.get({ id: started.taskId });
  assert.equal(task.state, "cancelled");
  assert.match(task.error ?? "", /^Stopped after \d+ bytes; the volume slow\.iso was deleted\.$/);
  await waitFor(async () => !(await storage.volumes({ hostId: "local", pool: POOL })).some((v) => v.name === "slow.iso"), {
    timeoutMs: 20_000,
    what: "the volume to go",
  });
  assert.deepEqual(
    (await readdir(POOL_DIR)).filter((f) => f.startsWith("slow")),
    [],
    "nothing of the download is left in the pool's directory",
  );
  assert.ok(!(await storage.transfers({ hostId: "local", pool: POOL })).some((t) => t.id === started.id), "the transfer is off the pool's list");
  await assert.rejects(tasks.cancel({ id: started.taskId }), /the task has already ended \(cancelled\)/);
});

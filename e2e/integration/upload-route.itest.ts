import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import https from "node:https";
import { readFile, rm } from "node:fs/promises";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startDashboard, type DashboardServer } from "../support/dashboard-server";
import { HttpClient } from "../support/http-client";
import { ensureLibvirtd, virsh } from "../fixtures/test-host";

/**
 * The upload route of the production server over HTTPS (PUT /api/storage/uploads/<id>): the only
 * route whose body may pass 2 MiB, so it is checked here that it reads nothing from a signed-out,
 * cross-site or foreign caller, keeps the offset honest, and writes one audit row per PUT.
 * Pool kvmm-test-route-* is removed in `after`.
 */

const MiB = 1024 * 1024;
const POOL = `kvmm-test-route-${randomBytes(4).toString("hex")}`;
const POOL_DIR = `/tmp/${POOL}`;
let server: DashboardServer;
let admin: HttpClient;

async function trpcData<T>(res: Response): Promise<T> {
  const body = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  assert.ok(body.result, `tRPC call failed: ${body.error?.message}`);
  return body.result.data;
}

before(async () => {
  await ensureLibvirtd();
  server = await startDashboard();
  admin = new HttpClient(server);
  assert.equal((await admin.signIn("admin", server.adminPassword)).status, 200);
  await trpcData(await admin.trpc("mutation", "storage.definePool", { hostId: "local", spec: { type: "dir", name: POOL, path: POOL_DIR }, autostart: false }));
});

after(async () => {
  await server?.stop();
  await virsh(["pool-destroy", POOL]).catch(() => undefined);
  await virsh(["pool-undefine", POOL]).catch(() => undefined);
  await rm(POOL_DIR, { recursive: true, force: true });
});

/** Sends only the headers of a PUT that declares `length` bytes, and resolves with the status the server answers. */
function declareOnly(path: string, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${path}`, { method: "PUT", rejectUnauthorized: false, headers: { "content-length": String(length) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

function put(client: HttpClient, id: string, offset: number, body: Buffer, headers: Record<string, string> = {}) {
  return client.fetch(`/api/storage/uploads/${id}?offset=${offset}`, {
    method: "PUT",
    body: new Uint8Array(body),
    headers: { "content-type": "application/octet-stream", ...headers },
  });
}

test("the upload route refuses signed-out, cross-site and other users' PUTs, keeps the offset, and stores the bytes", async () => {
  const data = randomBytes(5 * MiB + 1);
  const started = await trpcData<{ id: string }>(
    await admin.trpc("mutation", "storage.startUpload", { hostId: "local", pool: POOL, name: "route.iso", sizeBytes: data.length, fileName: "route.iso" }),
  );

  // Signed out, with a body declared far above 2 MiB: the front door lets it reach the route, which answers before reading it.
  const signedOut = await declareOnly(`/api/storage/uploads/${started.id}?offset=0`, 400 * MiB);
  assert.equal(signedOut, 401, "a signed-out PUT declaring 400 MiB is answered 401 by the route, not 413 by the front door");
  assert.equal((await put(admin, started.id, 0, data, { origin: "https://evil.example" })).status, 403, "a cross-site PUT is refused");

  const created = await trpcData<{ generatedPassword: string }>(await admin.trpc("mutation", "users.create", { username: "kvmm-route-bob", role: "admin" }));
  const bob = new HttpClient(server);
  assert.equal((await bob.signIn("kvmm-route-bob", created.generatedPassword)).status, 200);
  assert.equal((await put(bob, started.id, 0, data)).status, 404, "another user's upload answers as missing");

  const first = await put(admin, started.id, 0, data.subarray(0, 2 * MiB));
  assert.equal(first.status, 200);
  assert.equal(((await first.json()) as { bytes: number; state: string }).bytes, 2 * MiB);
  const wrong = await put(admin, started.id, 0, data.subarray(0, MiB));
  assert.equal(wrong.status, 409);
  assert.equal(((await wrong.json()) as { committedBytes: number }).committedBytes, 2 * MiB, "a PUT at the wrong offset is told where to go on");
  const rest = await put(admin, started.id, 2 * MiB, data.subarray(2 * MiB));
  assert.equal(rest.status, 200);
  const done = (await rest.json()) as { state: string; sha256: string };
  assert.equal(done.state, "done");
  assert.equal(done.sha256, createHash("sha256").update(data).digest("hex"));
  assert.ok((await readFile(join(POOL_DIR, "route.iso"))).equals(data), "the volume holds the bytes sent");

  const db = new Database(join(server.dataDir, "kvm-manager.sqlite"), { readonly: true });
  try {
    const rows = db.prepare("select username, result from audit_log where action = 'storage.uploadVolume' order by id").all() as {
      username: string;
      result: string;
    }[];
    assert.deepEqual(rows, [
      { username: "admin", result: "ok" },
      { username: "admin", result: "error" },
      { username: "admin", result: "ok" },
    ]);
  } finally {
    db.close();
  }
});

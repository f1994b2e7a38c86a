// metrics.history and metrics.hostHistory through the real router, against libvirtd serving
// libvirt's test driver (the VM lookup and the grant check are what is proven here; storing and
// rolling up is proven by server/metrics/history.test.ts): a viewer granted one VM by name reads
// that VM's history, gets "not found" for the other VM's, and reads the host's figures.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { hosts } from "../../server/db/schema";
import { addUser, tempDatabase } from "../../server/testing/test-db";
import { callByPath } from "../../server/api/testing/procedures";
import { closeAllConnections } from "../../server/libvirt/registry";
import { recordTick } from "../../server/metrics/history";
import type { MetricsTick } from "../../server/metrics/sample";
import { ensureLibvirtd } from "../fixtures/test-host";
import type { Db } from "../../server/db/client";
import type { SessionUser } from "../../server/users/service";

const HOST = "tdrv";
const SEEN = { name: "kvmm-test-history-seen", uuid: randomUUID() };
const HIDDEN = { name: "kvmm-test-history-hidden", uuid: randomUUID() };

let db: Db;
let cleanup: () => void;
let viewer: SessionUser;
let configDir: string;

function tick(at: number): MetricsTick {
  const vmValues = (cpu: number) => ({
    "vm.cpu": cpu,
    "vm.memory.used": null,
    "vm.memory.total": null,
    "vm.disk.read": null,
    "vm.disk.write": null,
    "vm.disk.readOps": null,
    "vm.disk.writeOps": null,
    "vm.net.rx": null,
    "vm.net.tx": null,
    "vm.guest.cpu": null,
    "vm.guest.memory": null,
    "vm.guest.filesystem": null,
  });
  return {
    host: { hostId: HOST, at, reachable: true, values: { "host.cpu": 30, "host.memory.used": null, "host.memory.total": null }, pools: [] },
    vms: [SEEN, HIDDEN].map((vm, i) => ({ hostId: HOST, uuid: vm.uuid, name: vm.name, at, running: true, values: vmValues(10 + i), filesystems: [] })),
  };
}

before(async () => {
  await ensureLibvirtd();
  ({ db, cleanup } = tempDatabase());
  configDir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-metrics-history-"));
  const config = path.join(configDir, "node.xml");
  const domain = (vm: { name: string; uuid: string }) =>
    `<domain type="test"><name>${vm.name}</name><uuid>${vm.uuid}</uuid><memory unit="MiB">256</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os></domain>`;
  fs.writeFileSync(config, `<node>${domain(SEEN)}${domain(HIDDEN)}</node>`);
  db.insert(hosts)
    .values({ id: HOST, name: "test driver", uri: `test+unix://${config}` })
    .run();
  viewer = await addUser(db, "vera", "viewer", [{ kind: "name", value: SEEN.name }]);
});

after(async () => {
  await closeAllConnections();
  cleanup();
  fs.rmSync(configDir, { recursive: true, force: true });
});

test("a viewer reads the history of a VM in their grants and of the host; another VM's history is not found", async () => {
  const now = Date.now();
  for (let at = now - 10 * 60_000; at <= now; at += 5000) recordTick(db, tick(at));
  const ctx = { db, user: viewer, clientIp: "192.0.2.9" };
  const range = { from: now - 3_600_000, to: now };
  const seen = (await callByPath(ctx, "metrics.history", { hostId: HOST, uuid: SEEN.uuid, metric: "vm.cpu", range })) as {
    resolution: string;
    points: { avg: number | null }[];
  };
  assert.equal(seen.resolution, "raw");
  assert.equal(seen.points.length, 121);
  assert.ok(seen.points.every((p) => p.avg === 10));
  await assert.rejects(callByPath(ctx, "metrics.history", { hostId: HOST, uuid: HIDDEN.uuid, metric: "vm.cpu", range }), (err: unknown) => {
    assert.ok(err instanceof TRPCError);
    assert.equal(err.code, "NOT_FOUND");
    return true;
  });
  const host = (await callByPath(ctx, "metrics.hostHistory", { hostId: HOST, metric: "host.cpu", range })) as { points: { avg: number | null }[] };
  assert.equal(host.points.length, 121);
  assert.equal(host.points[0]!.avg, 30);
  // A host metric is not a VM metric: refused by the input's schema.
  await assert.rejects(callByPath(ctx, "metrics.history", { hostId: HOST, uuid: SEEN.uuid, metric: "host.cpu", range }), /vm\.cpu|Invalid/);
});

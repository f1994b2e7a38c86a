import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { eq } from "drizzle-orm";
import { createCaller } from "@/server/api/root";
import { ensureLocalHost } from "@/server/hosts/service";
import { closeAllConnections, getConnection } from "@/server/libvirt/registry";
import { subscribe, unwatchAllHosts, watchHost, type ManagerEvent } from "@/server/events/bus";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { alerts } from "@/server/db/schema";
import { VIR_DOMAIN_EVENT_STOPPED_DESTROYED, VIR_DOMAIN_EVENT_STOPPED_FAILED } from "@/server/libvirt";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey } from "@/server/metrics/sample";
import { AlertEvaluator } from "@/server/alerts/evaluator";
import { ensureLibvirtd, libvirtUri } from "../fixtures/test-host";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { waitFor } from "../fixtures/wait";

/**
 * The "VM crashed" default rule against real libvirt and a real QEMU process (an idle domain: QEMU
 * under TCG sitting in its firmware, which is all a crash needs): a force off asked for through the
 * API fires nothing, QEMU killed with SIGKILL from outside fires on the very next tick, and starting
 * the VM again resolves it. The collector's ticks are built here from libvirt's state, so the test
 * decides when a tick happens.
 */
const { db, cleanup } = tempDatabase();
const events: ManagerEvent[] = [];
let dom: IdleDomain;
let evaluator: AlertEvaluator;
let stopListening: () => void = () => undefined;

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  await watchHost("local", getConnection("local", libvirtUri()));
  dom = await defineIdleDomain(`kvmm-test-alerts-${process.pid}`);
  stopListening = subscribe((e) => {
    if ("uuid" in e && e.uuid === dom.uuid) events.push(e);
  });
  evaluator = new AlertEvaluator({ db });
  evaluator.start();
});

after(async () => {
  evaluator?.stop();
  stopListening();
  await dom?.remove();
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

async function tickNow(): Promise<MetricsTick> {
  const values = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  const running = (await dom.state()) === "running";
  const at = Date.now();
  return {
    host: { hostId: "local", at, reachable: true, values: { "host.cpu": null, "host.memory.used": null, "host.memory.total": null }, pools: [] },
    vms: [{ hostId: "local", uuid: dom.uuid, name: dom.name, at, running, values, filesystems: [] }],
  };
}

function stoppedEvents(): number[] {
  return events.flatMap((e) => (e.type === "domain.lifecycle" && e.event === "stopped" ? [e.detail] : []));
}

async function waitForStop(count: number): Promise<number> {
  await waitFor(() => stoppedEvents().length >= count, { timeoutMs: 30_000, what: `stop event ${count} of ${dom.name}` });
  return stoppedEvents()[count - 1]!;
}

const crashAlerts = () =>
  db
    .select()
    .from(alerts)
    .where(eq(alerts.uuid, dom.uuid))
    .all()
    .filter((a) => a.metric === "vm.crashed");

test("a force off asked for through the API fires nothing; QEMU killed from outside fires VM crashed on the next tick; a start resolves it", async () => {
  const admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.30" });
  const vm = { hostId: "local", uuid: dom.uuid };

  await admin.vms.power({ ...vm, action: "start" });
  await evaluator.onTick(await tickNow());
  await admin.vms.power({ ...vm, action: "forceOff" });
  assert.equal(await waitForStop(1), VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
  await evaluator.onTick(await tickNow());
  assert.deepEqual(crashAlerts(), [], "a stop the user asked for is not a crash");

  await admin.vms.power({ ...vm, action: "start" });
  await evaluator.onTick(await tickNow());
  const pid = Number((await readFile(`/run/libvirt/qemu/${dom.name}.pid`, "utf8")).trim());
  assert.ok(pid > 1, `QEMU's pid from libvirt: ${pid}`);
  process.kill(pid, "SIGKILL");
  assert.equal(await waitForStop(2), VIR_DOMAIN_EVENT_STOPPED_FAILED, "libvirt reports a killed QEMU as stopped/failed");
  await evaluator.onTick(await tickNow());
  const fired = crashAlerts();
  assert.equal(fired.length, 1, "fired on the first tick after the kill");
  assert.equal(fired[0]!.state, "firing");
  assert.equal(fired[0]!.vmName, dom.name);
  assert.equal(fired[0]!.severity, "critical");

  await admin.vms.power({ ...vm, action: "start" });
  await evaluator.onTick(await tickNow());
  assert.equal(crashAlerts()[0]!.state, "resolved", "running again resolves it");
});

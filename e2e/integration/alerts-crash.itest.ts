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
import { VIR_DOMAIN_EVENT_STOPPED_DESTROYED, VIR_DOMAIN_EVENT_STOPPED_FAILED, VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN } from "@/server/libvirt";
import { METRIC_KEYS, type MetricsTick, type VmMetricKey } from "@/server/metrics/sample";
import { AlertEvaluator } from "@/server/alerts/evaluator";
import { createTestDomain, ensureLibvirtd, libvirtUri, type TestDomain } from "../fixtures/test-host";
import { defineIdleDomain, type IdleDomain } from "../fixtures/idle-domain";
import { waitFor } from "../fixtures/wait";

/**
 * The "VM crashed" default rule against real libvirt and real QEMU processes: stops a user asked
 * for through the API (a force off of an idle domain — QEMU in its firmware; an ACPI shutdown of the
 * test guest, whose init powers off) fire nothing; the test guest's QEMU killed with SIGKILL from
 * outside fires on the very next tick, and starting the VM again resolves it. The collector's ticks
 * are built here from libvirt's state, so the test decides when a tick happens.
 */
const { db, cleanup } = tempDatabase();
const events: ManagerEvent[] = [];
let idle: IdleDomain | undefined;
let guest: TestDomain | undefined;
let evaluator: AlertEvaluator;
let admin: ReturnType<typeof createCaller>;
const stopListening = subscribe((e) => {
  if (e.type === "domain.lifecycle") events.push(e);
});

before(async () => {
  await ensureLibvirtd();
  ensureLocalHost(db, libvirtUri());
  await watchHost("local", getConnection("local", libvirtUri()));
  admin = createCaller({ db, user: await addUser(db, "ada", "admin"), clientIp: "192.0.2.30" });
  evaluator = new AlertEvaluator({ db });
  evaluator.start();
});

after(async () => {
  evaluator?.stop();
  stopListening();
  await idle?.remove();
  await guest?.destroy();
  await unwatchAllHosts();
  await closeAllConnections();
  cleanup();
});

interface Vm {
  name: string;
  uuid: string;
  state(): Promise<string>;
}

async function tickOf(vm: Vm): Promise<MetricsTick> {
  const values = Object.fromEntries(METRIC_KEYS.filter((k) => k.startsWith("vm.")).map((k) => [k, null])) as Record<VmMetricKey, number | null>;
  const running = (await vm.state()) === "running";
  const at = Date.now();
  return {
    host: { hostId: "local", at, reachable: true, values: { "host.cpu": null, "host.memory.used": null, "host.memory.total": null }, pools: [] },
    vms: [{ hostId: "local", uuid: vm.uuid, name: vm.name, at, running, values, filesystems: [] }],
  };
}

function stops(vm: Vm): number[] {
  return events.flatMap((e) => (e.type === "domain.lifecycle" && e.uuid === vm.uuid && e.event === "stopped" ? [e.detail] : []));
}

async function waitForStop(vm: Vm, n: number): Promise<number> {
  await waitFor(() => stops(vm).length >= n, { timeoutMs: 60_000, what: `stop event ${n} of ${vm.name}` });
  return stops(vm)[n - 1]!;
}

const crashAlerts = (vm: Vm) =>
  db
    .select()
    .from(alerts)
    .where(eq(alerts.uuid, vm.uuid))
    .all()
    .filter((a) => a.metric === "vm.crashed");

test("a force off asked for through the API fires nothing", async () => {
  idle = await defineIdleDomain(`kvmm-test-alerts-${process.pid}`);
  const ref = { hostId: "local", uuid: idle.uuid };
  await admin.vms.power({ ...ref, action: "start" });
  await evaluator.onTick(await tickOf(idle));
  await admin.vms.power({ ...ref, action: "forceOff" });
  assert.equal(await waitForStop(idle, 1), VIR_DOMAIN_EVENT_STOPPED_DESTROYED);
  await evaluator.onTick(await tickOf(idle));
  assert.deepEqual(crashAlerts(idle), []);
});

test("a real guest shut down through the API fires nothing; its QEMU killed from outside fires VM crashed on the next tick; a start resolves it", async () => {
  guest = await createTestDomain({ label: "alerts" });
  await guest.waitForReady(120_000);
  const ref = { hostId: "local", uuid: guest.uuid };
  await evaluator.onTick(await tickOf(guest));

  await admin.vms.power({ ...ref, action: "shutdown" });
  assert.equal(await waitForStop(guest, 1), VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN, "the guest powered off on ACPI");
  await evaluator.onTick(await tickOf(guest));
  assert.deepEqual(crashAlerts(guest), [], "a shutdown the user asked for is not a crash");

  await admin.vms.power({ ...ref, action: "start" });
  await evaluator.onTick(await tickOf(guest));
  const pid = Number((await readFile(`/run/libvirt/qemu/${guest.name}.pid`, "utf8")).trim());
  assert.ok(pid > 1, `QEMU's pid from libvirt: ${pid}`);
  process.kill(pid, "SIGKILL");
  assert.equal(await waitForStop(guest, 2), VIR_DOMAIN_EVENT_STOPPED_FAILED, "libvirt reports a killed QEMU as stopped/failed");
  await evaluator.onTick(await tickOf(guest));
  const fired = crashAlerts(guest);
  assert.equal(fired.length, 1, "fired on the first tick after the kill");
  assert.equal(fired[0]!.state, "firing");
  assert.equal(fired[0]!.vmName, guest.name);
  assert.equal(fired[0]!.severity, "critical");

  await admin.vms.power({ ...ref, action: "start" });
  await evaluator.onTick(await tickOf(guest));
  assert.equal(crashAlerts(guest)[0]!.state, "resolved", "running again resolves it");
});

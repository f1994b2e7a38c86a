import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { closeAllConnections, getConnection } from "../../server/libvirt/registry";
import { startGuestHub, stopGuestHub, type GuestHub } from "../../server/guest";
import { bootAgentGuest } from "../../server/guest/testing/agent-guest";
import { JobRunner } from "../../server/jobs/runner";
import { MetricsCollector } from "../../server/metrics/collector";
import { GuestTelemetryStore } from "../../server/metrics/guest-telemetry";
import { history, recordTick } from "../../server/metrics/history";
import { METRICS, type MetricsTick } from "../../server/metrics/sample";
import { AlertEvaluator } from "../../server/alerts/evaluator";
import { listRules, updateRule } from "../../server/alerts/store";
import { alerts } from "../../server/db/schema";
import { tempDatabase } from "../../server/testing/test-db";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, virsh, type TestDomain } from "../fixtures/test-host";
import { waitFor } from "../fixtures/wait";

/**
 * The collector against a real QEMU guest running our agent, on the real libvirtd, driven by the
 * job runner at a 1 s interval as the server drives it at 5 s; beside it a host that refuses
 * connections. Each tick goes into history and the alert evaluator on a temporary database, as
 * the server wires them. The guest boots once for every test here.
 */

const HOST = "local";
const FAR = "far";
const BOOT_MS = 180_000;
const INTERVAL_MS = 1_000;
/** The agent's telemetry period here (the hub passes on at most one a second). */
const TELEMETRY_S = 2;

let guest: TestDomain;
let hub: GuestHub;
let runner: JobRunner;
const ticks: MetricsTick[] = [];
const telemetry = new GuestTelemetryStore();
const { db, cleanup } = tempDatabase();
const evaluator = new AlertEvaluator({ db, publish: () => {}, subscribe: () => () => {} });
const evaluationErrors: unknown[] = [];

before(async () => {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  ({ guest } = await bootAgentGuest({ label: "metrics", agentConfig: { telemetry_interval_s: TELEMETRY_S } }));
  evaluator.start();
  hub = await startGuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  hub.on("telemetry", (event) => telemetry.record(event.hostId, event.uuid, event.metrics, Date.now()));
  const collector = new MetricsCollector({
    hosts: () => [
      { id: HOST, conn: getConnection(HOST, libvirtUri()) },
      // Nothing listens on port 1: the connection is refused, again and again.
      { id: FAR, conn: getConnection(FAR, "qemu+tcp://127.0.0.1:1/system") },
    ],
    timeoutMs: INTERVAL_MS,
    guest: (hostId, uuid, now) => telemetry.get(hostId, uuid, now),
    log: () => {},
  });
  collector.onTick((tick) => {
    ticks.push(tick);
    recordTick(db, tick);
    evaluator.onTick(tick).catch((err: unknown) => evaluationErrors.push(err));
  });
  runner = new JobRunner();
  runner.add({ name: "metrics-collector", intervalMs: INTERVAL_MS, run: () => collector.collect().then(() => undefined) });
  runner.start();
});

after(async () => {
  await runner?.stop();
  await stopGuestHub();
  evaluator.stop();
  await guest?.destroy();
  await closeAllConnections();
  cleanup();
});

const local = () => ticks.filter((t) => t.host.hostId === HOST);
const sampleOf = (tick: MetricsTick) => tick.vms.find((vm) => vm.uuid === guest.uuid);

test("each tick samples the running guest with plausible values, at strictly increasing times", async () => {
  // Five ticks with the guest running and a CPU figure: the first has no rate yet.
  await waitFor(() => local().filter((t) => sampleOf(t)?.values["vm.cpu"] != null).length >= 5, {
    timeoutMs: BOOT_MS,
    intervalMs: 250,
    what: "five ticks with the guest's CPU figure",
    describe: async () => `ticks: ${local().length}; last sample: ${JSON.stringify(local().at(-1) && sampleOf(local().at(-1)!))}`,
  });
  const mine = local();
  for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.host.at > mine[i - 1]!.host.at, `tick ${i} is later than the one before`);
  for (const tick of mine.filter((t) => sampleOf(t)?.values["vm.cpu"] != null)) {
    assert.equal(tick.host.reachable, true);
    const vm = sampleOf(tick)!;
    assert.equal(vm.running, true);
    assert.equal(vm.name, guest.name);
    const cpu = vm.values["vm.cpu"]!;
    assert.ok(cpu >= 0 && cpu <= 100, `CPU ${cpu} %`);
    assert.ok(vm.values["vm.memory.used"]! > 0, "memory in use");
    assert.ok(vm.values["vm.memory.total"]! > 0, "memory of the VM");
    for (const key of ["vm.disk.read", "vm.disk.write", "vm.disk.readOps", "vm.disk.writeOps", "vm.net.rx", "vm.net.tx"] as const) {
      assert.ok(vm.values[key] !== null && vm.values[key] >= 0, `${key}: ${vm.values[key]}`);
    }
    const hostCpu = tick.host.values["host.cpu"]!;
    assert.ok(hostCpu >= 0 && hostCpu <= 100, `host CPU ${hostCpu} %`);
  }
});

test("the host's memory total is what libvirt's nodememstats reports, and used is below it", async () => {
  const stats = await virsh(["nodememstats"]);
  const totalKiB = Number(/^total\s*:\s*(\d+) KiB/m.exec(stats)?.[1]);
  assert.ok(totalKiB > 0, `virsh nodememstats: ${stats}`);
  const tick = local().at(-1)!;
  assert.equal(tick.host.values["host.memory.total"], totalKiB * 1024);
  const used = tick.host.values["host.memory.used"]!;
  assert.ok(used > 0 && used < totalKiB * 1024, `host memory used ${used}`);
});

test("our agent's telemetry arrives in the guest's samples as guest-sourced figures", async () => {
  const tick = await waitFor(() => local().find((t) => sampleOf(t)?.values["vm.guest.cpu"] != null), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: "a tick with the agent's telemetry",
  });
  const vm = sampleOf(tick)!;
  const guestCpu = vm.values["vm.guest.cpu"]!;
  const guestMemory = vm.values["vm.guest.memory"]!;
  assert.ok(guestCpu >= 0 && guestCpu <= 100, `guest CPU ${guestCpu} %`);
  assert.ok(guestMemory > 0 && guestMemory <= 100, `guest memory ${guestMemory} %`);
});

test("a host that refuses connections is marked unreachable each tick, without VMs, while the local host keeps answering", () => {
  const far = ticks.filter((t) => t.host.hostId === FAR);
  assert.ok(far.length >= 3, `${far.length} ticks of the far host`);
  for (const tick of far) {
    assert.equal(tick.host.reachable, false);
    assert.deepEqual(tick.vms, []);
  }
  assert.ok(local().length >= 3);
});

test("a tmpfs filled past 90 % inside the guest shows in the ticks as guest-sourced use and fires the default filesystem rule; emptied, it resolves", async () => {
  const mount = "/tmp/kvmm-fill";
  const run = async (command: string, args: string[]) => {
    const result = await hub.call(HOST, guest.uuid, "exec_command", { command, args, timeout_ms: 30_000 }, { timeoutMs: 60_000 });
    assert.equal(result.exit_code, 0, `${command} ${args.join(" ")} in the guest: ${result.stderr}`);
  };
  // The default rule as seeded (above 90 %, resolves below 85 %), narrowed to this VM and a `for` of 3 s instead of a minute.
  const rule = listRules(db).find((r) => r.metric === "vm.guest.filesystem")!;
  updateRule(db, rule.id, { ...rule, scope: { kind: "vm", hostId: HOST, uuid: guest.uuid }, forMs: 3_000 });
  const ruleAlerts = () =>
    db
      .select()
      .from(alerts)
      .all()
      .filter((a) => a.ruleId === rule.id && a.uuid === guest.uuid);
  const useOf = (tick: MetricsTick) => sampleOf(tick)?.filesystems.find((f) => f.mount === mount)?.usedPercent;
  const lastUse = () => local().findLast((t) => useOf(t) !== undefined);

  await run("mkdir", ["-p", mount]);
  await run("mount", ["-t", "tmpfs", "-o", "size=1m", "kvmm-fill", mount]);
  // 960 KiB of 1 MiB: 93.75 %.
  await run("dd", ["if=/dev/zero", `of=${mount}/fill`, "bs=1024", "count=960"]);
  const full = await waitFor(() => local().find((t) => (useOf(t) ?? 0) > 90), {
    timeoutMs: 60_000,
    intervalMs: 250,
    what: `a tick with ${mount} above 90 %`,
    describe: async () => `last sample: ${JSON.stringify(local().at(-1) && sampleOf(local().at(-1)!))}`,
  });
  const vm = sampleOf(full)!;
  assert.equal(METRICS["vm.guest.filesystem"].source, "guest");
  assert.ok(Math.abs(useOf(full)! - 93.75) < 0.5, `${mount}: ${useOf(full)} %`);
  assert.equal(vm.values["vm.guest.filesystem"], Math.max(...vm.filesystems.map((f) => f.usedPercent)), "the figure is the fullest filesystem's");
  assert.ok(vm.values["vm.guest.filesystem"]! >= useOf(full)!);

  const fired = await waitFor(() => ruleAlerts().find((a) => a.state === "firing"), {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: "the guest filesystem alert to fire",
    describe: async () => `alerts: ${JSON.stringify(ruleAlerts())}`,
  });
  assert.equal(fired.metric, "vm.guest.filesystem");
  assert.ok(fired.value! > 90, `fired at ${fired.value} %`);
  const stored = history(db, { kind: "vm", hostId: HOST, uuid: guest.uuid }, "vm.guest.filesystem", full.host.at - 1, Date.now() + 1);
  assert.ok(
    stored.points.some((p) => p.at === vm.at && p.max === vm.values["vm.guest.filesystem"]),
    `history holds the tick's figure: ${JSON.stringify(stored.points.slice(-5))}`,
  );

  await run("rm", [`${mount}/fill`]);
  const resolved = await waitFor(() => ruleAlerts().find((a) => a.id === fired.id && a.state === "resolved"), {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: "the guest filesystem alert to resolve",
    describe: async () => `last use of ${mount}: ${lastUse() && useOf(lastUse()!)} %; alerts: ${JSON.stringify(ruleAlerts())}`,
  });
  assert.ok(resolved.resolvedValue! < 85, `resolved at ${resolved.resolvedValue} %`);
  assert.equal(useOf(lastUse()!), 0, "the emptied tmpfs reads 0 %");
  assert.equal(ruleAlerts().length, 1, "fired once");
  assert.deepEqual(evaluationErrors, []);
  await run("umount", [mount]);
});

// The metrics collector at 1,000 VMs: the CPU time this process spends per tick (the bulk stats call's
// answer decoded, rates computed, the tick handed to a listener that builds and serialises the browser
// event), on libvirt's test driver served by libvirtd from a config file written for the run. Printed
// as a share of one core at the default 5 s interval (target < 5 %). libvirtd's own CPU is not counted.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Connection } from "../../server/libvirt";
import { summarizeLatencies, type LatencySummary } from "../../server/libvirt/bench";
import { MetricsCollector } from "../../server/metrics/collector";
import { liveTick } from "../../server/metrics/live";
import { fakeVms, testDriverConfig } from "./test-driver";
import { heading, ms } from "./format";

export interface MetricsCollectorResult {
  vms: number;
  ticks: number;
  cpu: LatencySummary;
  wall: LatencySummary;
  eventBytes: number;
  /** Median CPU per tick as a share of one core at INTERVAL_MS. */
  corePercent: number;
}

const INTERVAL_MS = 5_000;

export async function benchMetricsCollector(o: { vms: number; namePrefix: string; ticks: number }): Promise<MetricsCollectorResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${o.namePrefix}-metrics-`));
  const file = path.join(dir, "node.xml");
  fs.writeFileSync(file, testDriverConfig(fakeVms(o.vms, o.namePrefix)));
  const uri = `test+unix://${file}`;
  heading(`metrics collector, ${o.vms} VMs: libvirt test driver through libvirtd (${uri})`);
  const conn = await Connection.open(uri);
  try {
    let eventBytes = 0;
    const collector = new MetricsCollector({ hosts: () => [{ id: "bench", conn }], timeoutMs: 10_000 });
    // What the server does with each tick besides keeping it: the browser event, serialised once.
    collector.onTick((tick) => {
      eventBytes = JSON.stringify({ type: "metrics.tick", ...liveTick(tick) }).length;
    });
    for (let i = 0; i < 3; i++) await collector.collect();
    const cpu: number[] = [];
    const wall: number[] = [];
    let vmsInTick = 0;
    for (let i = 0; i < o.ticks; i++) {
      const startCpu = process.cpuUsage();
      const startWall = performance.now();
      const [tick] = await collector.collect();
      wall.push(performance.now() - startWall);
      const used = process.cpuUsage(startCpu);
      cpu.push((used.user + used.system) / 1000);
      vmsInTick = tick!.vms.length;
      if (!tick!.host.reachable) throw new Error("the test-driver host did not answer a tick");
    }
    const cpuSummary = summarizeLatencies(cpu);
    const wallSummary = summarizeLatencies(wall);
    const corePercent = (cpuSummary.median / INTERVAL_MS) * 100;
    console.log(`  ${vmsInTick} VMs in each tick, ${o.ticks} ticks; browser event ${(eventBytes / 1024).toFixed(0)} KiB`);
    console.log(`  CPU of this process per tick: median ${ms(cpuSummary.median)}, p95 ${ms(cpuSummary.p95)}; wall time median ${ms(wallSummary.median)}`);
    console.log(`  = ${corePercent.toFixed(2)} % of one core at a ${INTERVAL_MS / 1000} s interval (target < 5 %)`);
    return { vms: vmsInTick, ticks: o.ticks, cpu: cpuSummary, wall: wallSummary, eventBytes, corePercent };
  } finally {
    await conn.close();
    fs.rmSync(file, { force: true });
    fs.rmdirSync(dir);
  }
}

import { test } from "node:test";
import assert from "node:assert/strict";
import { computeUsage, memoryUsedKiB, MIN_RATE_WINDOW_MS, sampleFromStats, UsageTracker } from "./usage";

const stats = (cpu: bigint, rd: bigint, rx: bigint) => ({
  "cpu.time": cpu,
  "vcpu.current": 2,
  "block.count": 2,
  "block.0.rd.bytes": rd,
  "block.1.rd.bytes": 100n,
  "block.0.wr.bytes": 0n,
  "net.count": 1,
  "net.0.rx.bytes": rx,
  "net.0.tx.bytes": 0n,
});

test("CPU share is per vCPU and I/O rates are per second, summed over devices", () => {
  const a = sampleFromStats(stats(0n, 0n, 0n), 0);
  const b = sampleFromStats(stats(1_000_000_000n, 2048n, 4096n), 2000);
  const u = computeUsage(a, b, null);
  assert.equal(u.cpuPercent, 25); // 1 s of CPU over 2 s on 2 vCPUs
  assert.equal(u.diskReadBps, 1024);
  assert.equal(u.netRxBps, 2048);
});

test("the first sample has no rates, and counters that went backwards (a restart) give none", () => {
  const b = sampleFromStats(stats(5n, 5n, 5n), 1000);
  assert.equal(computeUsage(undefined, b, 10).cpuPercent, null);
  assert.equal(computeUsage(undefined, b, 10).memoryUsedKiB, 10);
  const later = sampleFromStats(stats(1n, 1n, 1n), 2000);
  const u = computeUsage(b, later, null);
  assert.equal(u.cpuPercent, null);
  assert.equal(u.diskReadBps, null);
});

test("memory in use comes from the balloon driver when it reports, else QEMU's RSS", () => {
  assert.equal(memoryUsedKiB({ "balloon.available": 1000n, "balloon.unused": 300n, "balloon.rss": 5000n }), 700);
  assert.equal(memoryUsedKiB({ "balloon.rss": 5000n }), 5000);
  assert.equal(memoryUsedKiB({}), null);
});

test("rates span the same window however soon one list follows another", () => {
  const tracker = new UsageTracker();
  const at = (ms: number, cpuNs: bigint) => ({ uuid: "u1", sample: sampleFromStats(stats(cpuNs, 0n, 0n), ms), memoryUsedKiB: null, running: true });
  assert.equal(tracker.update("h", [at(0, 0n)]).get("u1")!.cpuPercent, null, "one sample: no rate yet");
  assert.equal(tracker.update("h", [at(1_000, 1_000_000_000n)]).get("u1")!.cpuPercent, null, "younger than the window: no rate yet");
  // 4 s of CPU over 4 s on 2 vCPUs, measured from the sample at t=0.
  assert.equal(tracker.update("h", [at(4_000, 4_000_000_000n)]).get("u1")!.cpuPercent, 50);
  // A second tab 50 ms later: still measured over at least MIN_RATE_WINDOW_MS (from t=1 s), not over 50 ms.
  const second = tracker.update("h", [at(4_050, 4_050_000_000n)]).get("u1")!.cpuPercent!;
  assert.ok(Math.abs(second - (3_050_000_000 / (3.05 * 2e9)) * 100) < 1e-9, String(second));
  assert.ok(4_050 - 1_000 >= MIN_RATE_WINDOW_MS);
});

test("a VM that stops, or disappears from the host, is forgotten", () => {
  const tracker = new UsageTracker();
  const obs = (uuid: string, ms: number, running = true) => ({
    uuid,
    sample: sampleFromStats(stats(BigInt(ms) * 1_000_000n, 0n, 0n), ms),
    memoryUsedKiB: null,
    running,
  });
  tracker.update("h", [obs("a", 0), obs("b", 0)]);
  tracker.update("h", [obs("a", 5_000, false)]); // a stopped, b is gone
  const after = tracker.update("h", [obs("a", 10_000), obs("b", 10_000)]);
  assert.equal(after.get("a")!.cpuPercent, null, "a stopped VM's old counters were used");
  assert.equal(after.get("b")!.cpuPercent, null, "a vanished VM's old counters were used");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { computeUsage, memoryUsedKiB, sampleFromStats } from "./usage";

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

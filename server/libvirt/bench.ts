// Latency and throughput of our libvirt client: connectListAllDomains over
// one connection, 1,000 calls one after another, then 1,000 in flight at once.
// Like the figures in DESIGN.md §3 it lists 50 domains: it defines inactive
// kvmm-bench-* domains up to that number and undefines them afterwards.
// Usage: npx tsx server/libvirt/bench.ts [uri]   (default qemu:///system)
// The measuring functions are exported for `npm run bench` (scripts/bench/).
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { Connection } from "./connection";
import type { NonnullDomain } from "./generated/protocol";

const CALLS = 1000;
const WARMUP = 50;
const DOMAINS = 50;

export function benchDomainXml(type: string, name: string): string {
  return `<domain type='${type}'><name>${name}</name><uuid>${randomUUID()}</uuid><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`;
}

/** Defines `count` inactive domains named `${prefix}-<n>`; returns them for undefineAll. */
export async function defineBenchDomains(conn: Connection, count: number, prefix = `kvmm-bench-${randomUUID().slice(0, 8)}`): Promise<NonnullDomain[]> {
  const type = (await conn.connectGetType()) === "TEST" ? "test" : "qemu";
  const added: NonnullDomain[] = [];
  for (let i = 0; i < count; i++) {
    added.push(await conn.domainDefineXml({ xml: benchDomainXml(type, `${prefix}-${String(i).padStart(3, "0")}`) }));
  }
  return added;
}

export async function undefineAll(conn: Connection, domains: readonly NonnullDomain[]): Promise<void> {
  for (const dom of domains) await conn.domainUndefine({ dom });
}

/** The p-th percentile (nearest rank) of ascending values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

export interface LatencySummary {
  count: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

export function summarizeLatencies(ms: readonly number[]): LatencySummary {
  const sorted = [...ms].sort((a, b) => a - b);
  return { count: sorted.length, median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0]!, max: sorted.at(-1)! };
}

/** Wall time of one awaited operation, in milliseconds. */
export async function timeMs<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Latency of `calls` connectListAllDomains one after another, after `warmup` unmeasured ones. */
export async function listLatency(conn: Connection, calls = CALLS, warmup = WARMUP): Promise<{ domains: number; latency: LatencySummary }> {
  const list = () => conn.connectListAllDomains({ needResults: 1, flags: 0 });
  const { domains } = await list();
  for (let i = 0; i < warmup; i++) await list();
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) latencies.push((await timeMs(list)).ms);
  return { domains: domains.length, latency: summarizeLatencies(latencies) };
}

export interface InFlightResult {
  calls: number;
  ms: number;
  callsPerSecond: number;
  errors: number;
  /** The first failure's message, when there was one. */
  firstError: string | null;
}

/** `calls` connectListAllDomains issued at once on one connection; counts the ones that failed. */
export async function listInFlight(conn: Connection, calls = CALLS): Promise<InFlightResult> {
  const { ms, value: settled } = await timeMs(() =>
    Promise.allSettled(Array.from({ length: calls }, () => conn.connectListAllDomains({ needResults: 1, flags: 0 }))),
  );
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  const firstError = failures[0] ? String((failures[0].reason as Error)?.message ?? failures[0].reason) : null;
  return { calls, ms, callsPerSecond: (calls * 1000) / ms, errors: failures.length, firstError };
}

async function main(uri: string): Promise<void> {
  const conn = await Connection.open(uri);
  const existing = (await conn.connectListAllDomains({ needResults: 1, flags: 0 })).domains.length;
  const added = await defineBenchDomains(conn, Math.max(0, DOMAINS - existing));
  try {
    const { domains, latency } = await listLatency(conn);
    const inFlight = await listInFlight(conn);
    console.log(`libvirt client bench: connectListAllDomains on ${uri} (${domains} domains)`);
    console.log(
      `  sequential, ${CALLS} calls: median ${latency.median.toFixed(3)} ms, ` + `p95 ${latency.p95.toFixed(3)} ms, max ${latency.max.toFixed(3)} ms`,
    );
    console.log(
      `  ${CALLS} in flight on one socket: ${inFlight.callsPerSecond.toFixed(0)} calls/s (${inFlight.ms.toFixed(0)} ms total), ` +
        `${inFlight.errors} errors${inFlight.firstError ? ` (first: ${inFlight.firstError})` : ""}`,
    );
  } finally {
    await undefineAll(conn, added);
    await conn.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2] ?? "qemu:///system");
}

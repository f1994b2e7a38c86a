// Latency and throughput of our libvirt client: connectListAllDomains over
// one connection, 1,000 calls one after another, then 1,000 in flight at once.
// Like the figures in DESIGN.md §3 it lists 50 domains: it defines inactive
// kvmm-bench-* domains up to that number and undefines them afterwards.
// Usage: npx tsx server/libvirt/bench.ts [uri]   (default qemu:///system)
import { randomUUID } from 'node:crypto';
import { Connection } from './connection';
import type { NonnullDomain } from './generated/protocol';

const CALLS = 1000;
const WARMUP = 50;
const DOMAINS = 50;

function benchDomainXml(type: string, name: string): string {
  return `<domain type='${type}'><name>${name}</name><uuid>${randomUUID()}</uuid><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`;
}

/** Defines inactive domains until the host has `DOMAINS`; returns them for cleanup. */
async function padDomains(conn: Connection, existing: number): Promise<NonnullDomain[]> {
  const type = (await conn.connectGetType()) === 'TEST' ? 'test' : 'qemu';
  const added: NonnullDomain[] = [];
  for (let i = existing; i < DOMAINS; i++) {
    added.push(await conn.domainDefineXml({ xml: benchDomainXml(type, `kvmm-bench-${i}-${randomUUID().slice(0, 8)}`) }));
  }
  return added;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function main(uri: string): Promise<void> {
  const conn = await Connection.open(uri);
  const added = await padDomains(conn, (await conn.connectListAllDomains({ needResults: 1, flags: 0 })).domains.length);
  try {
    const list = () => conn.connectListAllDomains({ needResults: 1, flags: 0 });
    const { domains } = await list();
    for (let i = 0; i < WARMUP; i++) await list();

    const latencies: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const start = process.hrtime.bigint();
      await list();
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    latencies.sort((a, b) => a - b);

    const start = process.hrtime.bigint();
    await Promise.all(Array.from({ length: CALLS }, list));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;

    console.log(`libvirt client bench: connectListAllDomains on ${uri} (${domains.length} domains)`);
    console.log(
      `  sequential, ${CALLS} calls: median ${percentile(latencies, 50).toFixed(3)} ms, ` +
        `p95 ${percentile(latencies, 95).toFixed(3)} ms, max ${latencies.at(-1)!.toFixed(3)} ms`,
    );
    console.log(`  ${CALLS} in flight on one socket: ${(CALLS / seconds).toFixed(0)} calls/s (${(seconds * 1000).toFixed(0)} ms total)`);
  } finally {
    for (const dom of added) await conn.domainUndefine({ dom });
    await conn.close();
  }
}

await main(process.argv[2] ?? 'qemu:///system');

// List-all-domains on a real libvirtd: our client against `virsh list --all` as a subprocess,
// then 1,000 calls in flight on one connection.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Connection } from "../../server/libvirt";
import { listInFlight, listLatency, summarizeLatencies, timeMs, type InFlightResult, type LatencySummary } from "../../server/libvirt/bench";
import { count, ms } from "./format";

const run = promisify(execFile);

export interface ListDomainsResult {
  listed: number;
  client: LatencySummary;
  virsh: LatencySummary;
  inFlight: InFlightResult[];
}

async function virshLatency(uri: string, calls: number): Promise<LatencySummary> {
  const list = () => run("virsh", ["-c", uri, "list", "--all"]);
  await list();
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) latencies.push((await timeMs(list)).ms);
  return summarizeLatencies(latencies);
}

export async function benchListDomains(
  conn: Connection,
  o: { uri: string; clientCalls: number; virshCalls: number; inFlightCalls: number; inFlightRounds: number },
): Promise<ListDomainsResult> {
  const { domains: listed, latency: client } = await listLatency(conn, o.clientCalls);
  console.log(
    `our client, ${o.clientCalls} calls one after another (${listed} domains): median ${ms(client.median)}, p95 ${ms(client.p95)}, max ${ms(client.max)}`,
  );
  const virsh = await virshLatency(o.uri, o.virshCalls);
  console.log(`virsh list --all as a subprocess, ${o.virshCalls} runs: median ${ms(virsh.median)}, p95 ${ms(virsh.p95)}, max ${ms(virsh.max)}`);

  const inFlight: InFlightResult[] = [];
  for (let i = 0; i < o.inFlightRounds; i++) {
    const r = await listInFlight(conn, o.inFlightCalls);
    inFlight.push(r);
    console.log(
      `${o.inFlightCalls} in flight on one connection, round ${i + 1}: ${count(r.callsPerSecond)} calls/s (${ms(r.ms)}), ` +
        `${r.errors} errors${r.firstError ? ` (first: ${r.firstError})` : ""}`,
    );
  }
  return { listed, client, virsh, inFlight };
}

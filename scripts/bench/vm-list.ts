// vm.list (listHostVms) against the two libvirt calls it needs, and where its own time goes.
// The 1,000-VM run uses libvirt's test driver served by libvirtd from a config file written for the run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Connection, decodeTypedParams, uuidToString, VIR_CONNECT_LIST_DOMAINS_AUTOSTART, VIR_CONNECT_LIST_DOMAINS_TRANSIENT } from "../../server/libvirt";
import { summarizeLatencies, timeMs, type LatencySummary } from "../../server/libvirt/bench";
import { LIST_STATS, listHostVms, type VmSummary } from "../../server/domains/service";
import { tagsOf } from "../../server/domains/tags";
import { memoryUsedKiB } from "../../server/metrics/rates";
import { unwatchAllHosts } from "../../server/events/bus";
import { vmInScope } from "../../server/auth/permissions";
import type { SessionUser } from "../../server/users/service";
import { fakeVms, testDriverConfig } from "./test-driver";
import { heading, ms, ratio } from "./format";

export const BENCH_USER: SessionUser = { id: 1, username: "bench", role: "admin", grants: [], locale: null, sessionId: "bench" };

export interface VmListResult {
  label: string;
  vms: number;
  /** Typed parameters per VM in the stats answer (median): the size of what is decoded. */
  statsFields: number;
  cold: number;
  raw: LatencySummary;
  warm: LatencySummary;
  ratio: number;
}

/** The two calls listHostVms makes, issued concurrently as it does. */
function rawCalls(conn: Connection) {
  return Promise.all([
    conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_AUTOSTART }),
    conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_TRANSIENT }),
    conn.connectGetAllDomainStats({ doms: [], stats: LIST_STATS, flags: 0 }),
  ]);
}

/**
 * The first listHostVms (it fetches every VM's tags), then `iterations` of the raw calls and of the
 * warm listHostVms, interleaved so load from anything else on the machine falls on both alike.
 */
export async function measureVmList(
  conn: Connection,
  hostId: string,
  label: string,
  iterations: number,
): Promise<{ result: VmListResult; listed: VmSummary[] }> {
  const service = () => listHostVms(hostId, conn, BENCH_USER);
  const cold = await timeMs(service);
  for (let i = 0; i < 5; i++) {
    await rawCalls(conn);
    await service();
  }
  const rawTimes: number[] = [];
  const warmTimes: number[] = [];
  for (let i = 0; i < iterations; i++) {
    rawTimes.push((await timeMs(() => rawCalls(conn))).ms);
    warmTimes.push((await timeMs(service)).ms);
  }
  const [, , stats] = await rawCalls(conn);
  const fields = stats.map((r) => r.params.length).sort((a, b) => a - b);
  const raw = summarizeLatencies(rawTimes);
  const warm = summarizeLatencies(warmTimes);
  const result = {
    label,
    vms: cold.value.length,
    statsFields: fields[Math.floor(fields.length / 2)] ?? 0,
    cold: cold.ms,
    raw,
    warm,
    ratio: warm.median / raw.median,
  };
  console.log(`${label}: ${result.vms} VMs, ${result.statsFields} stats fields per VM`);
  console.log(`  first (cold) listHostVms, fetching every VM's tags: ${ms(cold.ms)}`);
  console.log(
    `  raw connectListAllDomains(AUTOSTART) + connectListAllDomains(TRANSIENT) + connectGetAllDomainStats, ${iterations} runs: median ${ms(raw.median)}, p95 ${ms(raw.p95)}`,
  );
  console.log(`  listHostVms with the tag cache filled, ${iterations} runs: median ${ms(warm.median)}, p95 ${ms(warm.p95)}`);
  console.log(`  warm / raw: ${ratio(result.ratio)} (target ≤ 2×)`);
  return { result, listed: cold.value };
}

async function medianOf(runs: number, fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timeMs(async () => fn())).ms);
  return summarizeLatencies(times).median;
}

/** listHostVms's own steps (besides the two calls) redone one by one on one answer: [step, median ms]. */
export async function profileVmList(conn: Connection, hostId: string, runs: number): Promise<[string, number][]> {
  const [auto, , stats] = await rawCalls(conn);
  const named = stats.map((r) => ({ name: r.dom.name }));
  return [
    ["connectGetAllDomainStats alone", await medianOf(runs, () => conn.connectGetAllDomainStats({ doms: [], stats: LIST_STATS, flags: 0 }))],
    [
      "connectListAllDomains(AUTOSTART) alone",
      await medianOf(runs, () => conn.connectListAllDomains({ needResults: 1, flags: VIR_CONNECT_LIST_DOMAINS_AUTOSTART })),
    ],
    ["autostart set (uuidToString each)", await medianOf(runs, () => new Set(auto.domains.map((d) => uuidToString(d.uuid))))],
    ["tags from the cache (Promise.all of tagsOf)", await medianOf(runs, () => Promise.all(stats.map((r) => tagsOf(hostId, conn, r.dom))))],
    ["decodeTypedParams of every record", await medianOf(runs, () => stats.map((r) => decodeTypedParams(r.params)))],
    ["uuidToString of every record", await medianOf(runs, () => stats.map((r) => uuidToString(r.dom.uuid)))],
    ["memory in use (memoryUsedKiB; rates come from the collector)", await medianOf(runs, () => stats.map((r) => memoryUsedKiB(decodeTypedParams(r.params))))],
    [
      "permission filter (vmInScope)",
      await medianOf(runs, () => stats.filter((r) => vmInScope(BENCH_USER.role, BENCH_USER.grants, { hostId, name: r.dom.name, tags: [] }))),
    ],
    ["sort by name (String#localeCompare)", await medianOf(runs, () => [...named].reverse().sort((a, b) => a.name.localeCompare(b.name)))],
  ];
}

export interface TestDriverVmListResult extends VmListResult {
  uri: string;
  checks: string;
  profile: [string, number][];
}

/** `vms` fake VMs on the test driver: every other one running, a third tagged, a tenth autostarted. */
export async function benchVmListTestDriver(o: { vms: number; namePrefix: string; iterations: number }): Promise<TestDriverVmListResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${o.namePrefix}-`));
  const vms = fakeVms(o.vms, o.namePrefix);
  const file = path.join(dir, "node.xml");
  fs.writeFileSync(file, testDriverConfig(vms));
  const uri = `test+unix://${file}`;
  heading(`vm.list for ${o.vms} VMs: libvirt test driver through libvirtd (${uri})`);
  const conn = await Connection.open(uri);
  try {
    const autostarted = vms.filter((_, i) => i % 10 === 0);
    for (const vm of autostarted) await conn.domainSetAutostart({ dom: await conn.domainLookupByName({ name: vm.name }), autostart: 1 });

    const { result, listed } = await measureVmList(conn, "bench-test-driver", "test driver", o.iterations);
    const got = [
      listed.length,
      listed.filter((v) => v.state === "running").length,
      listed.filter((v) => v.autostart).length,
      listed.filter((v) => v.tags.length).length,
    ];
    const want = [vms.length, vms.filter((v) => v.running).length, autostarted.length, vms.filter((v) => v.tags.length).length];
    const checks = got.every((n, i) => n === want[i])
      ? "listed, running, autostart, tagged as defined"
      : `MISMATCH: got ${got.join("/")}, want ${want.join("/")} (VMs/running/autostart/tagged)`;
    console.log(`  check: ${checks}`);

    const profile = await profileVmList(conn, "bench-test-driver", o.iterations);
    console.log(`  listHostVms's steps, each alone (median of ${o.iterations}):`);
    for (const [step, t] of profile) console.log(`    ${step.padEnd(44)} ${ms(t)}`);
    return { ...result, uri, checks, profile };
  } finally {
    await unwatchAllHosts();
    await conn.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// 20 hosts × 50 VMs (issue 14 item 5): 20 libvirt daemons, each the second-host fixture's libvirtd in
// its own network, mount and PID namespaces (e2e/fixtures/second-host.ts), reached over its own veth
// pair on TCP. Each host's 50 VMs are libvirt's test driver served by that host's libvirtd from a
// config file written for the run (`test+tcp://<host>/<file>`: every other VM running, a third tagged),
// so no QEMU runs; the RPC, the daemon and the connection are real. Measured in this process, through
// the services the API calls (no HTTP), on a temporary database holding the 20 hosts:
//   1. vm.list across the 20 hosts (listVms) vs each host alone (listHostVms): the slowest host's figures;
//   2. dashboard.summary across the 20 hosts;
//   3. memory: per idle open connection (100 more to the 20 daemons, over 100), and per host connected
//      and listed once (the tag cache filled, its last list kept), over 19 (the first host's connection
//      and list, made before, load the code all of them use);
//   4. one host stalled (its libvirtd stopped with SIGSTOP: the TCP connection stays open, nothing
//      answers): its own list without a bound (until the connection gives up), then vm.list and
//      dashboard.summary across the 20, bounded by KVMM_HOST_TIMEOUT_S.
// Run with --expose-gc (scripts/bench.sh does) so the memory figures are read after a collection.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { cleanupStaleSecondHosts, startSecondHost, type SecondHost } from "../../e2e/fixtures/second-host";
import { run } from "../../e2e/fixtures/run";
import { hosts as hostsTable } from "../../server/db/schema";
import { listHostVms, listVms, type HostVmList } from "../../server/domains/service";
import { dashboardSummary } from "../../server/dashboard/summary";
import { hostTimeoutMs } from "../../server/hosts/fan-out";
import { closeAllConnections, getConnection } from "../../server/libvirt/registry";
import { Connection } from "../../server/libvirt";
import { summarizeLatencies, timeMs, type LatencySummary } from "../../server/libvirt/bench";
import { tempDatabase } from "../../server/testing/test-db";
import { BENCH_USER } from "./vm-list";
import { fakeVms, testDriverConfig } from "./test-driver";
import { count, heading, ms, table } from "./format";

/** Second hosts started at once: each copies /etc/libvirt and QEMU's capability cache and makes two ssh keys. */
const STARTS_AT_ONCE = 5;
const EXTRA_CONNECTIONS_PER_HOST = 5;

export interface ManyHostsResult {
  hosts: number;
  vmsPerHost: number;
  across: Timed;
  slowestHost: { hostId: string; latency: Timed };
  /** The 20 hosts' lists one after another, without the fan-out. */
  sequential: Timed;
  summary: Timed;
  memory: { heapPerConnection: number; rssPerConnection: number; heapPerListedHost: number; rssPerListedHost: number };
  stalled: {
    timeoutMs: number;
    list: LatencySummary;
    summary: LatencySummary;
    answered: number;
    error: string;
    stale: boolean;
    staleVms: number;
    /** The stalled host's own list with no bound: until its connection gave up. */
    unboundedMs: number;
  };
}

function memoryNow(): { heap: number; rss: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss };
}

/** Wall time of each run, and this process's CPU time (user + system) per run: what the manager itself spent. */
type Timed = LatencySummary & { cpuMs: number };

/** `runs` rounds of each of `fns` in turn, so load from anything else on the machine falls on all alike. */
async function interleaved<K extends string>(runs: number, fns: Record<K, () => Promise<unknown>>): Promise<Record<K, Timed>> {
  const names = Object.keys(fns) as K[];
  const times = new Map(names.map((name) => [name, [] as number[]]));
  const cpuMs = new Map(names.map((name) => [name, 0]));
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      const cpu = process.cpuUsage();
      times.get(name)!.push((await timeMs(fns[name])).ms);
      const used = process.cpuUsage(cpu);
      cpuMs.set(name, cpuMs.get(name)! + (used.user + used.system) / 1000);
    }
  }
  return Object.fromEntries(names.map((name) => [name, { ...summarizeLatencies(times.get(name)!), cpuMs: cpuMs.get(name)! / runs }])) as Record<K, Timed>;
}

async function repeat(runs: number, fn: () => Promise<unknown>): Promise<Timed> {
  return (await interleaved(runs, { fn })).fn;
}

async function startHosts(count: number): Promise<SecondHost[]> {
  const started: SecondHost[] = [];
  try {
    while (started.length < count) {
      const batch = Math.min(STARTS_AT_ONCE, count - started.length);
      const results = await Promise.allSettled(Array.from({ length: batch }, () => startSecondHost()));
      for (const r of results) if (r.status === "fulfilled") started.push(r.value);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((h) => h.stop()));
    throw err;
  }
}

/** The pid of a second host's libvirtd: the process of that name in the host's network namespace. */
async function libvirtdPid(host: SecondHost): Promise<number> {
  const { stdout } = await run("ip", ["netns", "pids", host.name]);
  for (const pid of stdout.split(/\s+/).filter(Boolean)) {
    const comm = fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
    if (comm === "libvirtd") return Number(pid);
  }
  throw new Error(`no libvirtd in network namespace ${host.name}`);
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/**
 * What one open, idle Connection costs: EXTRA_CONNECTIONS_PER_HOST more to each host (besides the
 * registry's), opened and asked once; the heap and RSS they add, over their number. RSS grows by
 * whole pages and arenas, so many connections are needed for a figure that is not noise.
 */
async function idleConnectionMemory(uris: string[]): Promise<{ heapPerConnection: number; rssPerConnection: number }> {
  const before = memoryNow();
  const opened = await Promise.all(uris.flatMap((uri) => Array.from({ length: EXTRA_CONNECTIONS_PER_HOST }, () => Connection.open(uri))));
  try {
    await Promise.all(opened.map((conn) => conn.connectGetHostname()));
    const after = memoryNow();
    return { heapPerConnection: (after.heap - before.heap) / opened.length, rssPerConnection: (after.rss - before.rss) / opened.length };
  } finally {
    await Promise.all(opened.map((conn) => conn.close()));
  }
}

function counted(lists: HostVmList[]): number {
  return lists.reduce((n, l) => n + (l.error ? 0 : l.vms.length), 0);
}

export async function benchManyHosts(o: { hosts: number; vmsPerHost: number; runs: number; namePrefix: string }): Promise<ManyHostsResult> {
  heading(`${o.hosts} hosts × ${o.vmsPerHost} VMs: ${o.hosts} libvirtd in namespaces (e2e/fixtures/second-host.ts), test driver over TCP`);
  await cleanupStaleSecondHosts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${o.namePrefix}-hosts-`));
  const { db, cleanup } = tempDatabase();
  let daemons: SecondHost[] = [];
  let stopped: number | undefined;
  try {
    const startedAt = performance.now();
    daemons = await startHosts(o.hosts);
    console.log(`  ${daemons.length} hosts started in ${ms(performance.now() - startedAt)} (${STARTS_AT_ONCE} at a time)`);
    const rows = daemons.map((host, i) => {
      const id = `h${String(i + 1).padStart(2, "0")}`;
      const file = path.join(dir, `${id}.xml`);
      fs.writeFileSync(file, testDriverConfig(fakeVms(o.vmsPerHost, `${o.namePrefix}-${id}`)));
      return { id, name: id, uri: `test+tcp://${host.address}${file}` };
    });
    db.insert(hostsTable).values(rows).run();

    // The first host's connection and list load the code all need: the figures are what each further one adds.
    const [warm, ...others] = rows;
    await listHostVms(warm!.id, getConnection(warm!.id, warm!.uri), BENCH_USER);
    const idle = await idleConnectionMemory(rows.map((row) => row.uri));
    const before = memoryNow();
    const first = await listVms(db, BENCH_USER);
    const listed = memoryNow();
    if (counted(first) !== o.hosts * o.vmsPerHost) throw new Error(`vm.list counted ${counted(first)} VMs, not ${o.hosts * o.vmsPerHost}`);
    const memory = { ...idle, heapPerListedHost: (listed.heap - before.heap) / others.length, rssPerListedHost: (listed.rss - before.rss) / others.length };
    console.log(
      `  memory per idle connection (${EXTRA_CONNECTIONS_PER_HOST * o.hosts} opened): heap ${kib(memory.heapPerConnection)}, RSS ${kib(memory.rssPerConnection)}; ` +
        `per host connected and listed once (its last list and tags kept): heap ${kib(memory.heapPerListedHost)}, RSS ${kib(memory.rssPerListedHost)}`,
    );

    for (let i = 0; i < 3; i++) await listVms(db, BENCH_USER);
    // Each host alone, one after another: what a page of that one host would wait for.
    const perHost: { hostId: string; latency: Timed }[] = [];
    for (const row of rows)
      perHost.push({ hostId: row.id, latency: await repeat(o.runs, () => listHostVms(row.id, getConnection(row.id, row.uri), BENCH_USER)) });
    const slowestHost = perHost.reduce((a, b) => (b.latency.median > a.latency.median ? b : a));
    const { sequential, across } = await interleaved(o.runs, {
      sequential: async () => {
        for (const row of rows) await listHostVms(row.id, getConnection(row.id, row.uri), BENCH_USER);
      },
      across: () => listVms(db, BENCH_USER),
    });
    const summary = await repeat(o.runs, () => dashboardSummary(db, BENCH_USER));
    console.log(
      `  vm.list, one host alone (slowest: ${slowestHost.hostId}): median ${ms(slowestHost.latency.median)}, p95 ${ms(slowestHost.latency.p95)}, ` +
        `manager CPU ${ms(slowestHost.latency.cpuMs)} a run; the ${o.hosts} one after another: median ${ms(sequential.median)}, p95 ${ms(sequential.p95)}`,
    );
    console.log(
      `  vm.list across ${o.hosts} hosts, ${count(o.hosts * o.vmsPerHost)} VMs, ${o.runs} runs: median ${ms(across.median)}, p95 ${ms(across.p95)}, manager CPU ${ms(across.cpuMs)} a run`,
    );
    console.log(`  dashboard.summary across ${o.hosts} hosts, ${o.runs} runs: median ${ms(summary.median)}, p95 ${ms(summary.p95)}`);

    const stalledHost = daemons[0]!;
    stopped = await libvirtdPid(stalledHost);
    process.kill(stopped, "SIGSTOP");
    // Without the per-host bound a page waits for the connection itself to give up (keepalive, or the call wait while reconnecting).
    const unbounded = await timeMs(() =>
      listHostVms(rows[0]!.id, getConnection(rows[0]!.id, rows[0]!.uri), BENCH_USER).then(String, (err: unknown) => String(err)),
    );
    console.log(`  ${rows[0]!.id} stalled, its list without the bound: ${ms(unbounded.ms)}: ${unbounded.value.slice(0, 160)}`);
    const stalledRuns = 3;
    let last: HostVmList[] = [];
    const stalledList = await repeat(stalledRuns, async () => (last = await listVms(db, BENCH_USER)));
    const stalledSummary = await repeat(stalledRuns, () => dashboardSummary(db, BENCH_USER));
    const down = last.find((l) => l.hostId === rows[0]!.id)!;
    const stalled = {
      timeoutMs: hostTimeoutMs(),
      list: stalledList,
      summary: stalledSummary,
      answered: last.filter((l) => !l.error).length,
      error: down.error ?? "(none)",
      stale: down.stale,
      staleVms: down.vms.length,
      unboundedMs: unbounded.ms,
    };
    console.log(
      `  ${rows[0]!.id} stalled (libvirtd SIGSTOP), timeout ${ms(stalled.timeoutMs)}: vm.list median ${ms(stalledList.median)} (max ${ms(stalledList.max)}), ` +
        `${stalled.answered} hosts answered; ${rows[0]!.id}: ${stalled.error}, stale ${stalled.stale} with ${stalled.staleVms} VMs; ` +
        `dashboard.summary median ${ms(stalledSummary.median)}`,
    );
    return { hosts: o.hosts, vmsPerHost: o.vmsPerHost, across, slowestHost, sequential, summary, memory, stalled };
  } finally {
    if (stopped !== undefined) process.kill(stopped, "SIGCONT");
    await closeAllConnections();
    await Promise.all(daemons.map((h) => h.stop()));
    cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function manyHostsRows(r: ManyHostsResult): string[][] {
  return [
    [
      `vm.list across ${r.hosts} hosts × ${r.vmsPerHost} VMs`,
      ms(r.across.median),
      ms(r.across.p95),
      `slowest host alone ${ms(r.slowestHost.latency.median)} / ${ms(r.slowestHost.latency.p95)}; all ${r.hosts} one after another ${ms(r.sequential.median)} / ${ms(r.sequential.p95)}; manager CPU ${ms(r.across.cpuMs)} a run`,
    ],
    [
      `dashboard.summary across ${r.hosts} hosts`,
      ms(r.summary.median),
      ms(r.summary.p95),
      `${count(r.hosts * r.vmsPerHost)} VMs counted by state; manager CPU ${ms(r.summary.cpuMs)} a run`,
    ],
    [
      "memory per open connection",
      "",
      "",
      `idle: heap ${kib(r.memory.heapPerConnection)}, RSS ${kib(r.memory.rssPerConnection)}; a host connected and listed once: heap ${kib(r.memory.heapPerListedHost)}, RSS ${kib(r.memory.rssPerListedHost)}`,
    ],
    [
      `vm.list, 1 of ${r.hosts} hosts stalled`,
      ms(r.stalled.list.median),
      ms(r.stalled.list.max),
      `timeout ${ms(r.stalled.timeoutMs)}; ${r.stalled.answered} answered; stalled host stale=${r.stalled.stale} (${r.stalled.staleVms} VMs); summary ${ms(r.stalled.summary.median)}; its list unbounded ${ms(r.stalled.unboundedMs)}`,
    ],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const hosts = Number(process.env.KVMM_BENCH_HOSTS ?? 20);
  const result = await benchManyHosts({ hosts, vmsPerHost: 50, runs: 30, namePrefix: `kvmm-bench-${process.env.KVMM_BENCH_RUN ?? randomUUID().slice(0, 8)}` });
  console.log(`\n${table([["benchmark", "median", "p95", "notes"], ...manyHostsRows(result)])}`);
}

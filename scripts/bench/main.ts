// `npm run bench` (through scripts/bench.sh): prints figures, never judges them.
//   1. list-all-domains: our client vs `virsh list --all`, on qemu:///system with 50 inactive kvmm-bench-* domains
//   2. 1,000 calls in flight on one connection, with the count of failed calls
//   3. vm.list (listHostVms) vs the three raw libvirt calls it needs: 1,000 VMs on the test driver,
//      and the VMs of qemu:///system (a real stats payload, at small scale)
//   4. the /vms page at 1,000 VMs (test driver, the production build): server render, time to interactive
//      in chromium, a scroll through every row, and lifecycle event → changed row on screen
//   5. a signed-in user's request while 60 clients sign in at once (the production build over HTTPS)
//   6. the CPU the guest agent's virtio-serial transport spends waiting, with a quiet host and with none
//   7. a graphical console's first frame: ticket, WebSocket upgrade, RFB handshake and one full frame (a TCG test guest)
//   8. the metrics collector's CPU per tick for 1,000 VMs (test driver), as a share of one core at a 5 s interval
//   9. the dashboard at 1,000 VMs with live usage (test driver, the production build): server render, and
//      dashboard.summary (what the page reads again after lifecycle, guest and alert events)
// Environment: KVMM_BENCH_URI (default qemu:///system), KVMM_BENCH_RUN (names the domains
// kvmm-bench-<run>-*), KVMM_BENCH_SUMMARY (write the summary table there instead of printing it).
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { Connection } from "../../server/libvirt";
import { defineBenchDomains, undefineAll } from "../../server/libvirt/bench";
import { unwatchAllHosts } from "../../server/events/bus";
import { benchListDomains } from "./list-domains";
import { benchVmListTestDriver, measureVmList } from "./vm-list";
import { benchSignInFlood } from "./sign-in-flood";
import { benchVmListPage } from "./vm-list-page";
import { benchAgentPort } from "./agent-port";
import { benchConsoleFirstFrame } from "./console-first-frame";
import { benchMetricsCollector } from "./metrics-collector";
import { benchDashboardPage } from "./dashboard-page";
import { count, heading, ms, ratio, table } from "./format";

const uri = process.env.KVMM_BENCH_URI || "qemu:///system";
const runId = process.env.KVMM_BENCH_RUN || randomUUID().slice(0, 8);
const ITERATIONS = 100;

// First, while this process does nothing else: its CPU time is the figure.
heading("the guest agent's virtio-serial transport, waiting");
const port = await benchAgentPort();

heading(`list-all-domains and vm.list on ${uri}, with 50 inactive kvmm-bench-${runId}-* domains`);
const conn = await Connection.open(uri);
const added = await defineBenchDomains(conn, 50, `kvmm-bench-${runId}`);
let list, qemuVmList;
try {
  list = await benchListDomains(conn, { uri, clientCalls: 1000, virshCalls: 100, inFlightCalls: 1000, inFlightRounds: 5 });
  qemuVmList = (await measureVmList(conn, "bench-qemu", uri, ITERATIONS)).result;
} finally {
  await unwatchAllHosts();
  await undefineAll(conn, added);
  await conn.close();
}
const vmList = await benchVmListTestDriver({ vms: 1000, namePrefix: `kvmm-bench-${runId}`, iterations: ITERATIONS });
const collector = await benchMetricsCollector({ vms: 1000, namePrefix: `kvmm-bench-${runId}`, ticks: 50 });
const listPage = await benchVmListPage({ vms: 1000, namePrefix: `kvmm-bench-${runId}`, renders: 30, loads: 5, events: 10 });
const dashboard = await benchDashboardPage({ vms: 1000, namePrefix: `kvmm-bench-${runId}`, renders: 30 });
heading("a signed-in request while 60 clients sign in at once");
const flood = await benchSignInFlood(60);
heading("a graphical console's first frame, 20 times (TCG test guest, VGA text mode)");
const consoleFrame = await benchConsoleFirstFrame(20);

const byRate = [...list.inFlight].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
const inFlightCalls = list.inFlight.reduce((n, r) => n + r.calls, 0);
const inFlightErrors = list.inFlight.reduce((n, r) => n + r.errors, 0);
const firstError = list.inFlight.find((r) => r.firstError)?.firstError;

const rows: string[][] = [
  ["benchmark", "median", "p95", "notes"],
  [`list-all-domains: our client`, ms(list.client.median), ms(list.client.p95), `${list.listed} domains, ${count(list.client.count)} calls one after another`],
  [
    `list-all-domains: virsh list --all`,
    ms(list.virsh.median),
    ms(list.virsh.p95),
    `subprocess, ${list.virsh.count} runs; ${list.virsh.median / list.client.median >= 10 ? (list.virsh.median / list.client.median).toFixed(0) : (list.virsh.median / list.client.median).toFixed(1)}× our client`,
  ],
  [
    `1,000 in flight, one connection`,
    `${count(byRate[Math.floor(byRate.length / 2)]!.callsPerSecond)}/s`,
    "",
    `median of ${byRate.length} rounds (${count(byRate[0]!.callsPerSecond)}–${count(byRate.at(-1)!.callsPerSecond)}/s); errors: ${inFlightErrors} of ${count(inFlightCalls)}${firstError ? ` (first: ${firstError})` : ""}`,
  ],
];
for (const r of [vmList, qemuVmList]) {
  const where = r === vmList ? `${count(r.vms)} VMs, test driver` : `${count(r.vms)} VMs, ${uri}`;
  rows.push(
    [`vm.list ${where}: raw 3 calls`, ms(r.raw.median), ms(r.raw.p95), `concurrent; ${r.statsFields} stats fields per VM`],
    [`vm.list ${where}: listHostVms warm`, ms(r.warm.median), ms(r.warm.p95), `${ratio(r.ratio)} raw (target ≤ 2×)`],
    [`vm.list ${where}: listHostVms cold`, ms(r.cold), "", `first call: also ${count(r.vms)} domainGetMetadata for tags`],
  );
}
rows.push([
  `metrics collector, ${count(collector.vms)} VMs, test driver: CPU per tick`,
  ms(collector.cpu.median),
  ms(collector.cpu.p95),
  `${collector.corePercent.toFixed(2)} % of one core at a 5 s interval (target < 5 %); wall ${ms(collector.wall.median)}; event ${Math.round(collector.eventBytes / 1024)} KiB`,
]);
rows.push(
  [
    "/vms server render, 1,000 VMs",
    ms(listPage.render.median),
    ms(listPage.render.p95),
    `warm, whole HTML (${Math.round(listPage.htmlBytes / 1024)} KiB); target ≤ 300 ms`,
  ],
  [
    "/vms time to interactive, chromium",
    ms(listPage.tti.median),
    ms(listPage.tti.p95),
    `navigation start → list hydrated; ${listPage.rowsInPage} of 1,000 rows in the page`,
  ],
  [
    "/vms scroll, one screen a step",
    ms(listPage.scrollFrame.median),
    ms(listPage.scrollFrame.p95),
    `scroll → second frame after it, max ${ms(listPage.scrollFrame.max)}`,
  ],
  [
    "lifecycle event → row on screen",
    ms(listPage.event.median),
    ms(listPage.event.p95),
    `from another client's pause/resume request (answered in ${ms(listPage.mutation.median)}); target ≤ 1 s at p95`,
  ],
);
rows.push(
  [
    "dashboard server render, 1,000 VMs, live usage",
    ms(dashboard.render.median),
    ms(dashboard.render.p95),
    `warm, whole HTML (${Math.round(dashboard.htmlBytes / 1024)} KiB), after the collector's first tick`,
  ],
  [
    "dashboard.summary, 1,000 VMs",
    ms(dashboard.summary.median),
    ms(dashboard.summary.p95),
    `over HTTP; re-read after each burst of events; counted ${count(dashboard.counted)} VMs`,
  ],
);
const answers = Object.entries(flood.answers)
  .map(([status, n]) => `${n}× ${status}`)
  .join(", ");
rows.push(
  ["auth.me, nobody signing in", ms(flood.idle.median), "", `max ${ms(flood.idle.max)}`],
  [
    "auth.me during 60 parallel sign-ins",
    ms(flood.during.median),
    "",
    `max ${ms(flood.during.max)} over ${flood.during.samples} requests; flood answered in ${ms(flood.floodMs)}: ${answers}`,
  ],
);
const sortedMs = (values: number[]) => [...values].sort((a, b) => a - b);
const frame = sortedMs(consoleFrame.firstFrame);
rows.push([
  "console first frame (ticket to last byte)",
  ms(frame[Math.floor(frame.length / 2)]!),
  ms(frame[Math.floor(frame.length * 0.95)]!),
  `${consoleFrame.width}×${consoleFrame.height} raw; of it ticket ${ms(sortedMs(consoleFrame.ticket)[Math.floor(frame.length / 2)]!)}, upgrade ${ms(sortedMs(consoleFrame.upgrade)[Math.floor(frame.length / 2)]!)} (medians)`,
]);
if (port) {
  const seconds = `${port.windowMs / 1000} s`;
  rows.push(
    ["agent port, host connected and quiet", ms(port.quietCpuMs), "", `CPU over ${seconds} (a FIFO stands in for the virtio-serial port)`],
    ["agent port, no host (POLLHUP)", ms(port.absentCpuMs), "", `CPU over ${seconds}; ${port.absentProbes} probes (${port.expectedProbes} at one per 100 ms)`],
  );
} else {
  rows.push(["agent port", "", "", "no pipe_wrap binding in this Node: the agent polls instead"]);
}
if (vmList.checks.startsWith("MISMATCH")) rows.push(["vm.list test driver check", "", "", vmList.checks]);
const summary = table(rows);
if (process.env.KVMM_BENCH_SUMMARY) fs.writeFileSync(process.env.KVMM_BENCH_SUMMARY, `${summary}\n`);
else console.log(`\n${summary}`);

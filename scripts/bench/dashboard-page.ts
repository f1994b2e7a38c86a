// The dashboard at 1,000 VMs with live usage: the production build served over HTTPS with its `local`
// host pointed at libvirt's test driver (KVMM_LIBVIRT_URI=test+unix:///<file>, 1,000 domains written
// for the run), measured once the collector's first ticks are in (the page then shows the host's
// usage and charts):
//   1. / server render: the whole HTML answer for a signed-in admin, warm (median, p95);
//   2. dashboard.summary alone, the query the page reads again after each burst of lifecycle, guest
//      and alert events: VMs by state (one state-only bulk stats call per host), agents, alerts, audit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDashboard } from "../../e2e/support/dashboard-server";
import { HttpClient } from "../../e2e/support/http-client";
import { waitFor } from "../../e2e/fixtures/wait";
import { summarizeLatencies, timeMs, type LatencySummary } from "../../server/libvirt/bench";
import { fakeVms, testDriverConfig } from "./test-driver";
import { heading, ms } from "./format";

export interface DashboardPageResult {
  vms: number;
  render: LatencySummary;
  htmlBytes: number;
  summary: LatencySummary;
  /** What the summary counted, as a check that all 1,000 VMs were seen. */
  counted: number;
}

export async function benchDashboardPage(o: { vms: number; namePrefix: string; renders: number }): Promise<DashboardPageResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${o.namePrefix}-dash-`));
  const file = path.join(dir, "node.xml");
  fs.writeFileSync(file, testDriverConfig(fakeVms(o.vms, o.namePrefix)));
  heading(`the dashboard with ${o.vms} VMs and live usage (libvirt test driver: test+unix://${file})`);
  const server = await startDashboard({ KVMM_LIBVIRT_URI: `test+unix://${file}` });
  try {
    const admin = new HttpClient(server);
    if ((await admin.signIn("admin", server.adminPassword)).status !== 200) throw new Error("the admin could not sign in");
    const page = async () => {
      const res = await admin.fetch("/");
      if (res.status !== 200) throw new Error(`/ answered ${res.status}`);
      return res.text();
    };
    // Live usage: the host's CPU figure is rendered only once the collector has a tick for it.
    await waitFor(async () => (await page()).includes('data-testid="host-cpu"'), { timeoutMs: 60_000, what: "the collector's first tick on the dashboard" });
    const first = await timeMs(page);
    console.log(`  first measured render: ${ms(first.ms)}, ${(first.value.length / 1024).toFixed(0)} KiB of HTML`);
    for (let i = 0; i < 3; i++) await page();
    const renders: number[] = [];
    for (let i = 0; i < o.renders; i++) renders.push((await timeMs(page)).ms);
    const render = summarizeLatencies(renders);
    console.log(`  / server render, warm, ${o.renders} runs: median ${ms(render.median)}, p95 ${ms(render.p95)}`);

    const summaryCall = async () => {
      const res = await admin.trpc("query", "dashboard.summary");
      if (res.status !== 200) throw new Error(`dashboard.summary answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as { result: { data: { states: Record<string, number> } } };
    };
    const answer = await summaryCall();
    const counted = Object.values(answer.result.data.states).reduce((n, c) => n + c, 0);
    const calls: number[] = [];
    for (let i = 0; i < o.renders; i++) calls.push((await timeMs(summaryCall)).ms);
    const summary = summarizeLatencies(calls);
    console.log(`  dashboard.summary over HTTP, ${o.renders} calls: median ${ms(summary.median)}, p95 ${ms(summary.p95)}; ${counted} VMs counted`);
    return { vms: o.vms, render, htmlBytes: first.value.length, summary, counted };
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDashboardPage({ vms: 1000, namePrefix: `kvmm-bench-${Date.now().toString(36)}`, renders: 30 });
}

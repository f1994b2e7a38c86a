// Insights at 1,000 VMs with 7 days of 1-hour rollups (168 hours each, on a temporary database):
// reading every VM's hours (readVmHistory: one indexed range read per VM), the pure rules
// (computeInsights), and storing the report, each timed over several runs. Half the VMs are idle
// (oversized), a tenth have a filesystem filling up, a twentieth run full of memory.
// Run alone with `node --import tsx scripts/bench/insights.ts`; `npm run bench` runs it too.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { tempDatabase } from "../../server/testing/test-db";
import { metricColumn } from "../../server/db/schema";
import { rollupRowId } from "../../server/metrics/history";
import { readVmHistory } from "../../server/insights/history-input";
import { computeInsights, DAY_MS, HOUR_MS, type HostInput } from "../../server/insights/rules";
import { saveReport } from "../../server/insights/store";
import { count, ms, table } from "./format";

export interface InsightsBench {
  vms: number;
  rows: number;
  read: { median: number; p95: number };
  rules: { median: number; p95: number };
  store: { median: number; p95: number };
  insights: number;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, p95: sorted[Math.floor(sorted.length * 0.95)]! };
}

const uuidOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, "0")}`;

export function benchInsights({ vms = 1000, runs = 10 } = {}): InsightsBench {
  const { db, cleanup } = tempDatabase();
  try {
    const now = Date.UTC(2026, 10, 20, 12, 30);
    const end = Math.floor(now / HOUR_MS) * HOUR_MS;
    const sqlite = db.$client;
    const c = metricColumn;
    const insertSubject = sqlite.prepare("INSERT INTO metric_subjects (kind, host_id, uuid) VALUES ('vm', 'bench', ?) RETURNING id");
    const insertHour = sqlite.prepare(
      `INSERT INTO metric_1h (id, subject_id, at, ${c("vm.cpu")}_avg, ${c("vm.cpu")}_max, ${c("vm.memory.used")}_avg, ${c("vm.memory.total")}_avg, ${c("vm.guest.filesystem")}_avg)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let rows = 0;
    sqlite.transaction(() => {
      for (let i = 0; i < vms; i++) {
        const { id } = insertSubject.get(uuidOf(i)) as { id: number };
        for (let h = 7 * 24; h >= 1; h--) {
          const at = end - h * HOUR_MS;
          const cpu = i % 2 === 0 ? 2 : 20 + (h % 7);
          const used = i % 20 === 0 ? 950 : 500;
          const fs = i % 10 === 0 ? 60 + (7 * 24 - h) / 24 : 40;
          insertHour.run(rollupRowId(id, at), id, at, cpu, cpu * 2, used, 1000, fs);
          rows++;
        }
      }
    })();

    const read: number[] = [];
    const rules: number[] = [];
    const store: number[] = [];
    let insights = 0;
    for (let r = 0; r < runs; r++) {
      let start = performance.now();
      const historyOf = readVmHistory(db, now);
      const host: HostInput = {
        hostId: "bench",
        memoryBytes: 256 * 1024 ** 3,
        vms: Array.from({ length: vms }, (_, i) => ({
          hostId: "bench",
          uuid: uuidOf(i),
          name: `vm-${i}`,
          running: true,
          vcpus: 4,
          memoryBytes: 2 * 1024 ** 3,
          history: historyOf("bench", uuidOf(i)),
          agent: { connectedNow: i % 3 !== 0, agentSeenAt: null, qgaSeenAt: null, agentChannel: true, qgaChannel: true },
          snapshots: { count: 1, newestAt: now - (i % 60) * DAY_MS },
        })),
      };
      read.push(performance.now() - start);
      start = performance.now();
      const report = computeInsights([host], now);
      rules.push(performance.now() - start);
      start = performance.now();
      saveReport(db, report, "schedule");
      store.push(performance.now() - start);
      insights = report.insights.length;
    }
    return { vms, rows, read: stats(read), rules: stats(rules), store: stats(store), insights };
  } finally {
    cleanup();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const r = benchInsights();
  console.log(
    table([
      ["insights, 1,000 VMs × 7 days of 1-hour rollups", "median", "p95", "notes"],
      ["read every VM's hours (SQLite)", ms(r.read.median), ms(r.read.p95), `${count(r.rows)} rollup rows, one range read per VM`],
      ["the rules (pure)", ms(r.rules.median), ms(r.rules.p95), `${count(r.insights)} insights found`],
      ["store the report (one transaction)", ms(r.store.median), ms(r.store.p95), "replaces the previous one"],
      ["total", ms(r.read.median + r.rules.median + r.store.median), "", "without the libvirt reads (stats, node info, snapshots)"],
    ]),
  );
}

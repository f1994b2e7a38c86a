"use client";

import { Link } from "@/app/_components/link";
import { usePathname } from "next/navigation";
import { useTranslations } from "next-intl";
import { useQueries } from "@tanstack/react-query";
import type { HistorySeries } from "@/server/metrics/history";
import type { LiveVmUsage } from "@/server/metrics/live";
import type { MetricUnit, VmMetricKey } from "@/server/metrics/sample";
import { useTRPC } from "@/app/_components/trpc";
import { MetricChart } from "@/app/_components/metric-chart";
import { useLivePoints } from "@/app/_components/use-live-points";
import { alignSeries, isBanded, LIVE_RANGE, RANGE_MS, RANGES, withLive, type ChartRange } from "@/app/_components/metric-series";
import { Section } from "../section";

/** The metrics a live tick carries for a VM (server/metrics/live.ts); guest figures come from history only. */
const LIVE_FIELDS = {
  "vm.cpu": "cpu",
  "vm.memory.used": "memoryUsed",
  "vm.memory.total": "memoryTotal",
  "vm.disk.read": "diskRead",
  "vm.disk.write": "diskWrite",
  "vm.net.rx": "netRx",
  "vm.net.tx": "netTx",
} as const satisfies Partial<Record<VmMetricKey, keyof LiveVmUsage>>;
type LiveMetric = keyof typeof LIVE_FIELDS;

type LineKey = "vmCpu" | "guestCpu" | "memoryUsed" | "memoryTotal" | "diskRead" | "diskWrite" | "netRx" | "netTx" | "guestMemory" | "guestFilesystem";

/** The charts, each with its lines; `guest` charts are shown only when the guest sent figures in the range. */
const CHARTS: readonly {
  id: "cpu" | "memory" | "disk" | "network" | "guest";
  unit: MetricUnit;
  guest?: boolean;
  lines: readonly { metric: VmMetricKey; word: LineKey; optional?: boolean }[];
}[] = [
  {
    id: "cpu",
    unit: "percent",
    lines: [
      { metric: "vm.cpu", word: "vmCpu" },
      { metric: "vm.guest.cpu", word: "guestCpu", optional: true },
    ],
  },
  {
    id: "memory",
    unit: "bytes",
    lines: [
      { metric: "vm.memory.used", word: "memoryUsed" },
      { metric: "vm.memory.total", word: "memoryTotal" },
    ],
  },
  {
    id: "disk",
    unit: "bytesPerSecond",
    lines: [
      { metric: "vm.disk.read", word: "diskRead" },
      { metric: "vm.disk.write", word: "diskWrite" },
    ],
  },
  {
    id: "network",
    unit: "bytesPerSecond",
    lines: [
      { metric: "vm.net.rx", word: "netRx" },
      { metric: "vm.net.tx", word: "netTx" },
    ],
  },
  {
    id: "guest",
    unit: "percent",
    guest: true,
    lines: [
      { metric: "vm.guest.memory", word: "guestMemory" },
      { metric: "vm.guest.filesystem", word: "guestFilesystem", optional: true },
    ],
  },
];
const METRICS = [...new Set(CHARTS.flatMap((c) => c.lines.map((l) => l.metric)))];

const hasFigures = (series: HistorySeries | undefined) => !!series?.points.some((p) => p.avg !== null);

export function MetricsTab({ hostId, uuid, range, span }: { hostId: string; uuid: string; range: ChartRange; span: { from: number; to: number } }) {
  const t = useTranslations("metrics");
  const trpc = useTRPC();
  const pathname = usePathname();
  const live = range === LIVE_RANGE;
  const rangeMs = RANGE_MS[range];

  const results = useQueries({
    queries: METRICS.map((metric) => trpc.metrics.history.queryOptions({ hostId, uuid, metric, range: span })),
  });
  const byMetric = new Map(METRICS.map((metric, i) => [metric, results[i]?.data]));
  const failed = results.find((r) => r.error)?.error;
  const loading = results.some((r) => r.isPending);

  const livePoints = useLivePoints<LiveMetric>(live, rangeMs, (tick) => {
    if (tick.hostId !== hostId) return null;
    const vm = tick.vms.find((v) => v.uuid === uuid);
    if (!vm) return null;
    return Object.fromEntries(Object.entries(LIVE_FIELDS).map(([metric, field]) => [metric, vm[field]])) as Record<LiveMetric, number | null>;
  });

  const resolution = byMetric.get("vm.cpu")?.resolution;
  const rangeWords = t(`ranges.${range}.long`);

  return (
    <Section title={t("vm.heading")}>
      <div className="flex flex-wrap items-center gap-2">
        <nav aria-label={t("ranges.label")}>
          <ul className="flex flex-wrap gap-1">
            {RANGES.map((r) => (
              <li key={r}>
                <Link
                  href={`${pathname}?range=${r}`}
                  aria-current={r === range ? "page" : undefined}
                  className={`btn min-h-11 px-3 ${r === range ? "btn-primary" : "btn-secondary"}`}
                  scroll={false}
                >
                  {t(`ranges.${r}.short`)}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="metrics-resolution">
          {resolution ? t(`resolution.${resolution}`) : null}
          {live ? ` ${t("vm.live")}` : null}
        </p>
      </div>
      {failed && (
        <p role="alert" translate="no" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          {failed.message}
        </p>
      )}
      {loading && <p className="text-sm text-slate-600 dark:text-slate-400">{t("loading")}</p>}
      {!loading && !failed && (
        <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          {CHARTS.map((chart) => {
            if (chart.guest && !chart.lines.some((l) => hasFigures(byMetric.get(l.metric)))) return null;
            const lines = chart.lines.filter((l) => !l.optional || hasFigures(byMetric.get(l.metric)));
            const data = alignSeries(
              lines.map((l) => {
                const series = byMetric.get(l.metric);
                const stored = series?.points ?? [];
                const extra = live && l.metric in LIVE_FIELDS ? livePoints[l.metric as LiveMetric] : undefined;
                return { points: extra ? withLive(stored, extra, rangeMs) : stored, banded: !!series && isBanded(series) };
              }),
            );
            return (
              <MetricChart
                key={chart.id}
                testId={`chart-${chart.id}`}
                caption={t("caption", { metric: t(`vm.charts.${chart.id}`), range: rangeWords })}
                unit={chart.unit}
                rangeMs={rangeMs}
                lines={lines.map((l) => ({ label: t(`vm.lines.${l.word}`) }))}
                data={data}
              />
            );
          })}
        </div>
      )}
    </Section>
  );
}

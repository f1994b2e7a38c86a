"use client";

import { useTranslations } from "next-intl";
import { useQueries } from "@tanstack/react-query";
import type { HostMetricKey } from "@/server/metrics/sample";
import { useTRPC } from "@/app/_components/trpc";
import { MetricChart } from "@/app/_components/metric-chart";
import { useLivePoints } from "@/app/_components/use-live-points";
import { alignSeries, isBanded, LIVE_RANGE, RANGE_MS, withLive } from "@/app/_components/metric-series";

const METRICS = ["host.cpu", "host.memory.used", "host.memory.total"] as const satisfies readonly HostMetricKey[];
type Metric = (typeof METRICS)[number];

/** A host's CPU and memory over the last hour (metrics.hostHistory), with each new tick appended as it comes. */
export function HostCharts({ hostId, span }: { hostId: string; span: { from: number; to: number } }) {
  const t = useTranslations("metrics");
  const trpc = useTRPC();
  const rangeMs = RANGE_MS[LIVE_RANGE];
  const results = useQueries({
    queries: METRICS.map((metric) => trpc.metrics.hostHistory.queryOptions({ hostId, metric, range: span })),
  });
  const live = useLivePoints<Metric>(true, rangeMs, (tick) =>
    tick.hostId === hostId && tick.reachable
      ? { "host.cpu": tick.host.cpu, "host.memory.used": tick.host.memoryUsed, "host.memory.total": tick.host.memoryTotal }
      : null,
  );
  const failed = results.find((r) => r.error)?.error;
  if (failed) {
    return (
      <p role="alert" translate="no" className="text-sm text-red-700 dark:text-red-300">
        {failed.message}
      </p>
    );
  }
  if (results.some((r) => r.isPending)) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("loading")}</p>;
  const line = (metric: Metric) => {
    const series = results[METRICS.indexOf(metric)]!.data!;
    const extra = live[metric];
    return { points: extra ? withLive(series.points, extra, rangeMs) : series.points, banded: isBanded(series) };
  };
  const range = t(`ranges.${LIVE_RANGE}.long`);
  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
      <MetricChart
        testId={`host-chart-cpu-${hostId}`}
        caption={t("caption", { metric: t("host.cpu"), range })}
        unit="percent"
        rangeMs={rangeMs}
        lines={[{ label: t("host.lines.cpu") }]}
        data={alignSeries([line("host.cpu")])}
      />
      <MetricChart
        testId={`host-chart-memory-${hostId}`}
        caption={t("caption", { metric: t("host.memory"), range })}
        unit="bytes"
        rangeMs={rangeMs}
        lines={[{ label: t("host.lines.memoryUsed") }, { label: t("host.lines.memoryTotal") }]}
        data={alignSeries([line("host.memory.used"), line("host.memory.total")])}
      />
    </div>
  );
}

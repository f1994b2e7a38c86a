"use client";

import { useState } from "react";
import { useTranslations } from "next-intl";
import type { LiveHostUsage } from "@/server/metrics/live";
import { useFormat } from "@/app/_components/use-format";
import { useLiveEvent } from "@/app/_components/live-events";

export type HostUsageFigures = LiveHostUsage & { at: number; reachable: boolean };

function Meter({ label, percent, text, testId }: { label: string; percent: number | null; text: string; testId: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="text-sm font-medium" data-testid={testId}>
        {text}
      </dd>
      <div className="mt-1 h-2 overflow-hidden rounded bg-slate-200 dark:bg-slate-700" aria-hidden="true">
        <div className="h-full bg-sky-600 dark:bg-sky-400" style={{ width: `${Math.max(0, Math.min(100, percent ?? 0))}%` }} />
      </div>
    </div>
  );
}

/** One host's CPU and memory use as of the collector's latest tick, kept current by `metrics.tick` events. */
export function HostUsage({ hostId, initial }: { hostId: string; initial: HostUsageFigures | null }) {
  const t = useTranslations("dashboard.usage");
  const f = useFormat();
  const [usage, setUsage] = useState(initial);
  useLiveEvent("metrics.tick", (event) => {
    if (event.hostId === hostId) setUsage({ ...event.host, at: event.at, reachable: event.reachable });
  });
  if (!usage) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("waiting")}</p>;
  if (!usage.reachable) return <p className="text-sm text-red-700 dark:text-red-300">{t("unreachable", { at: f.dateTime(usage.at) })}</p>;
  const memoryPercent = usage.memoryUsed !== null && usage.memoryTotal ? (usage.memoryUsed / usage.memoryTotal) * 100 : null;
  return (
    <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label={t("label")}>
      <Meter label={t("cpu")} percent={usage.cpu} text={usage.cpu === null ? "—" : t("percent", { percent: f.number(usage.cpu, 1) })} testId="host-cpu" />
      <Meter
        label={t("memory")}
        percent={memoryPercent}
        text={
          usage.memoryUsed === null || usage.memoryTotal === null ? "—" : t("memoryOf", { used: f.bytes(usage.memoryUsed), total: f.bytes(usage.memoryTotal) })
        }
        testId="host-memory"
      />
    </dl>
  );
}

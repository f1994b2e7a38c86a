"use client";

import { Link } from "@/app/_components/link";
import { useTranslations } from "next-intl";
import type { InsightSeverity } from "@/server/insights/kinds";
import type { StoredInsight } from "@/server/insights/store";
import { useFormat } from "@/app/_components/use-format";

export const SEVERITY_TONE: Record<InsightSeverity, string> = {
  critical: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  warning: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  info: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
};

/** An insight in plain words with the figures behind it (percentages to one decimal, sizes and dates in the reader's locale). */
export function InsightText({ insight }: { insight: StoredInsight }) {
  const t = useTranslations("insights.text");
  const f = useFormat();
  const pct = (value: number) => f.number(value, 1);
  const x = insight.figures;
  switch (x.kind) {
    case "vm.oversized":
      return <>{t("oversized", { days: x.days, average: pct(x.averageCpu), peak: pct(x.peakCpu), vcpus: x.vcpus, suggested: x.suggestedVcpus })}</>;
    case "vm.undersized":
      return <>{t("undersized", { average: pct(x.averageMemory), lowest: pct(x.lowestMemory), memory: f.bytes(x.memoryBytes) })}</>;
    case "vm.filesystemFull":
      return <>{t("filesystemFull", { used: pct(x.usedPercent), rate: f.number(x.percentPerDay, 2), days: x.days, left: Math.round(x.daysUntilFull) })}</>;
    case "vm.noAgent": {
      const channels = x.agentChannel && x.qgaChannel ? "both" : x.agentChannel ? "agent" : x.qgaChannel ? "qga" : "none";
      return (
        <>
          {x.lastSeenAt === null ? t("noAgentNever") : t("noAgentSince", { at: f.dateTime(x.lastSeenAt) })} {t("channels", { channels })}
        </>
      );
    }
    case "vm.noSnapshot":
      return <>{x.newestAt === null ? t("noSnapshotNever") : t("noSnapshotOld", { days: x.days, count: x.snapshots, at: f.dateTime(x.newestAt) })}</>;
    case "host.overcommit":
      return <>{t("overcommit", { figure: x.figure, committed: f.bytes(x.committedBytes), percent: pct(x.percent), host: f.bytes(x.hostBytes) })}</>;
  }
}

export function SeverityBadge({ severity }: { severity: InsightSeverity }) {
  const t = useTranslations("insights.severity");
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${SEVERITY_TONE[severity]}`}>{t(severity)}</span>;
}

/** One insight on /insights: severity, kind, what it is about (a link to the VM), and the sentence. */
export function InsightItem({ insight }: { insight: StoredInsight }) {
  const t = useTranslations("insights");
  return (
    <li className="card space-y-1" data-testid="insight" data-kind={insight.kind}>
      <div className="flex flex-wrap items-center gap-2">
        <SeverityBadge severity={insight.severity} />
        <span className="font-medium">{t(`kind.${insight.kind}`)}</span>
        {insight.uuid && insight.vmName ? (
          <Link
            href={`/vms/${encodeURIComponent(insight.hostId)}/${insight.uuid}/overview`}
            className="inline-flex min-h-11 items-center underline"
            aria-label={t("vmLink", { name: insight.vmName })}
            translate="no"
          >
            {insight.vmName}
          </Link>
        ) : (
          <span>{t("hostLabel", { host: insight.hostId })}</span>
        )}
      </div>
      <p className="text-sm">
        <InsightText insight={insight} />
      </p>
    </li>
  );
}

/** The VM overview's lines: one per insight about this VM, with a link to the insights page. */
export function VmInsightLines({ insights }: { insights: StoredInsight[] }) {
  const t = useTranslations("insights");
  if (insights.length === 0) return null;
  return (
    <section aria-label={t("vmLine")} className="card space-y-1 text-sm" data-testid="vm-insights">
      <ul className="space-y-1">
        {insights.map((insight) => (
          <li key={insight.id} data-kind={insight.kind}>
            <SeverityBadge severity={insight.severity} /> <span className="font-medium">{t(`kind.${insight.kind}`)}:</span> <InsightText insight={insight} />
          </li>
        ))}
      </ul>
      <Link href="/insights" className="inline-flex min-h-11 items-center underline">
        {t("allLink")}
      </Link>
    </section>
  );
}

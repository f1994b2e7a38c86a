import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations, getLocale } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { INSIGHT_KINDS, INSIGHT_SEVERITIES, type InsightKind, type InsightSeverity } from "@/server/insights/kinds";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { Field, Options } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import { formatDateTime } from "@/app/_components/format";
import { InsightItem } from "./insight-line";
import { RecomputeButton } from "./recompute-button";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("insights");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

const pick = <T extends string>(value: string | string[] | undefined, allowed: readonly T[]): T | undefined =>
  typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;

/** The latest computation's insights about what the user may see, filtered by kind and severity in the URL. */
export default async function InsightsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePermission("vm.read");
  const t = await getTranslations("insights");
  const locale = await getLocale();
  const params = await searchParams;
  const kind = pick<InsightKind>(params.kind, INSIGHT_KINDS);
  const severity = pick<InsightSeverity>(params.severity, INSIGHT_SEVERITIES);
  const report = await (await serverApi()).insights.list({ kind, severity });
  const filtersSet = [kind, severity].filter(Boolean).length;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
        {roleHas(user.role, "insight.recompute") && <RecomputeButton />}
      </div>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("intro")}</p>
      <p className="text-sm" data-testid="insights-computed">
        {report ? t("computedAt", { at: formatDateTime(report.at, locale), trigger: report.trigger }) : t("notComputed")}
      </p>
      {report && (report.waiting.length > 0 || report.failedHosts.length > 0) && (
        <ul className="card list-inside list-disc space-y-1 text-sm" data-testid="insights-waiting">
          {report.waiting.map((w) => (
            <li key={w.kind}>{t("waiting", { kind: t(`kind.${w.kind}`), days: w.daysNeeded, vms: w.vms })}</li>
          ))}
          {report.failedHosts.map((h) => (
            <li key={h.hostId}>
              {t.rich("failedHost", {
                host: h.hostId,
                error: h.error,
                // libvirt's or the connection's own words, not ours to translate.
                verbatim: (chunks) => <span translate="no">{chunks}</span>,
              })}
            </li>
          ))}
        </ul>
      )}
      <CollapsibleFilters label={t("filters.toggle")} active={filtersSet} startOpen={false}>
        <form method="get" className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:items-start" aria-label={t("filters.formLabel")}>
          <Field id="insights-kind" label={t("filters.kind")}>
            <select id="insights-kind" name="kind" defaultValue={kind ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anyKind") }, ...INSIGHT_KINDS.map((k) => ({ value: k, label: t(`kind.${k}`) }))]} />
            </select>
          </Field>
          <Field id="insights-severity" label={t("filters.severity")}>
            <select id="insights-severity" name="severity" defaultValue={severity ?? ""} className="input mt-1">
              <Options
                choices={[{ value: "", label: t("filters.anySeverity") }, ...INSIGHT_SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))]}
              />
            </select>
          </Field>
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2">
            <button type="submit" className="btn btn-primary">
              {t("filters.submit")}
            </button>
            <Link href="/insights" className="btn btn-secondary">
              {t("filters.clear")}
            </Link>
          </div>
        </form>
      </CollapsibleFilters>
      {report &&
        (report.insights.length === 0 ? (
          <p className="card text-sm">{filtersSet > 0 ? t("noneFiltered") : t("none")}</p>
        ) : (
          <ul className="space-y-2" data-testid="insight-list">
            {report.insights.map((insight) => (
              <InsightItem key={insight.id} insight={insight} />
            ))}
          </ul>
        ))}
    </div>
  );
}

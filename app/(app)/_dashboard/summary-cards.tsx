"use client";

import { Link } from "@/app/_components/link";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { DashboardSummary } from "@/server/dashboard/summary";
import { VM_STATES } from "@/server/domains/power";
import { ALERT_SEVERITIES } from "@/server/alerts/kinds";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { useFormat } from "@/app/_components/use-format";
import { AGENT_FILTERS, STATE_FILTERS, stateGroup, viewToQuery, DEFAULT_VIEW, type AgentFilter, type StateFilter } from "@/app/(app)/vms/list-view";
import { actionWords } from "@/app/(app)/audit/action-words";

/** What changes the counts: a VM's run state, a guest agent coming or going, an alert firing, acknowledged or resolved. */
const REREAD_ON = ["domain.lifecycle", "guest.status", "domain.agent", "alert"] as const;

const SEVERITY_TONE = {
  critical: "bg-red-700 text-white",
  warning: "bg-amber-500 text-slate-950",
  info: "bg-sky-700 text-white",
} as const;

/** The VM list filtered as a count says (and to the dashboard's host): its rows are the VMs the count counted. */
function vmsHref(host: string | null, state: StateFilter, agent: AgentFilter | null = null): string {
  return `/vms?${viewToQuery({ ...DEFAULT_VIEW, host, state, agent })}`;
}

/** The firing alerts of a severity, on the dashboard's host when it shows one. */
function alertsHref(host: string | null, severity: string): string {
  return `/alerts?${new URLSearchParams({ state: "firing", severity, ...(host === null ? {} : { hostId: host }) })}`;
}

/** One count with its words, the whole line a link to the list it counts. */
function CountLink({ href, label, count, testId, tone }: { href: string; label: string; count: number; testId: string; tone?: string }) {
  return (
    <li>
      <Link
        href={href}
        className="flex min-h-11 items-center justify-between gap-3 rounded-md px-2 py-1.5 hover:bg-slate-100 focus-visible:bg-slate-100 dark:hover:bg-slate-800 dark:focus-visible:bg-slate-800"
      >
        <span className="min-w-0 [overflow-wrap:anywhere]">{label}</span>
        <span data-testid={testId} className={`rounded-full px-2 text-sm font-semibold tabular-nums ${tone ?? "bg-slate-200 dark:bg-slate-700"}`}>
          {count}
        </span>
      </Link>
    </li>
  );
}

/**
 * VMs by state, agents in running VMs, firing alerts and the latest audit rows, as `dashboard.summary`
 * answers them for the signed-in user (of one host when the page's filter names it, `hostId`); read
 * again after each burst of events that changes them. Each count links to its list on the same host.
 */
export function SummaryCards({ initial, hostId }: { initial: DashboardSummary; hostId: string | null }) {
  const trpc = useTRPC();
  const t = useTranslations("dashboard.summary");
  const tList = useTranslations("vmList.filters");
  const tAlerts = useTranslations("alerts");
  const tAudit = useTranslations("audit");
  const f = useFormat();
  const options = trpc.dashboard.summary.queryOptions(hostId === null ? {} : { hostId });
  const { data } = useQuery({ ...options, initialData: initial, refetchInterval: 30_000 });
  useLiveRefetch(REREAD_ON, () => [options.queryKey]);

  const byGroup = Object.fromEntries(STATE_FILTERS.map((g) => [g, 0])) as Record<StateFilter, number>;
  for (const state of VM_STATES) byGroup[stateGroup(state)] += data.states[state];
  const total = STATE_FILTERS.reduce((n, g) => n + byGroup[g], 0);
  return (
    <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-4">
      <section aria-labelledby="dash-vms" className="card">
        <h2 id="dash-vms" className="mb-2 text-lg font-semibold">
          {t("vmsTitle", { total })}
        </h2>
        <ul className="space-y-0.5">
          {STATE_FILTERS.filter((g) => g !== "other" || byGroup.other > 0).map((g) => (
            <CountLink key={g} href={vmsHref(hostId, g)} label={tList(`states.${g}`)} count={byGroup[g]} testId={`dash-state-${g}`} />
          ))}
        </ul>
        {data.unreachable.length > 0 && (
          <p role="alert" className="mt-2 text-sm text-red-700 dark:text-red-300">
            {t("unreachable", { hosts: data.unreachable.map((h) => h.hostId).join(", ") })}
          </p>
        )}
      </section>
      <section aria-labelledby="dash-agents" className="card">
        <h2 id="dash-agents" className="mb-2 text-lg font-semibold">
          {t("agentsTitle")}
        </h2>
        <p className="mb-1 text-sm text-slate-600 dark:text-slate-400">{t("agentsOf", { running: byGroup.running })}</p>
        <ul className="space-y-0.5">
          {AGENT_FILTERS.map((a) => (
            <CountLink key={a} href={vmsHref(hostId, "running", a)} label={tList(`agents.${a}`)} count={data.agents[a]} testId={`dash-agent-${a}`} />
          ))}
        </ul>
      </section>
      {data.alerts && (
        <section aria-labelledby="dash-alerts" className="card">
          <h2 id="dash-alerts" className="mb-2 text-lg font-semibold">
            {t("alertsTitle")}
          </h2>
          <ul className="space-y-0.5">
            {[...ALERT_SEVERITIES].reverse().map((s) => (
              <CountLink
                key={s}
                href={alertsHref(hostId, s)}
                label={tAlerts(`severity.${s}`)}
                count={data.alerts![s]}
                testId={`dash-alerts-${s}`}
                tone={data.alerts![s] > 0 ? SEVERITY_TONE[s] : undefined}
              />
            ))}
          </ul>
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">{t("alertsNote")}</p>
        </section>
      )}
      {data.audit && (
        <section aria-labelledby="dash-audit" className="card sm:col-span-2 xl:col-span-1" data-testid="dash-audit">
          <div className="mb-2 flex items-center justify-between gap-2">
            <h2 id="dash-audit" className="text-lg font-semibold">
              {t("auditTitle")}
            </h2>
            <Link href="/audit" className="inline-flex min-h-11 items-center px-1 text-sm text-sky-700 underline dark:text-sky-300">
              {t("auditAll")}
            </Link>
          </div>
          {data.audit.length === 0 ? (
            <p className="text-sm text-slate-600 dark:text-slate-400">{t("auditEmpty")}</p>
          ) : (
            <ol className="space-y-2 text-sm">
              {data.audit.map((row) => (
                <li key={row.id} className="min-w-0">
                  <div className="flex flex-wrap items-baseline gap-x-2">
                    <span className="font-medium">{actionWords(tAudit, row.action)}</span>
                    {row.result !== "ok" && <span className="text-xs font-semibold text-red-700 dark:text-red-300">{tAudit(`results.${row.result}`)}</span>}
                  </div>
                  {row.target && (
                    <div className="truncate text-slate-600 dark:text-slate-400" translate="no" title={row.target}>
                      {row.target}
                    </div>
                  )}
                  <div className="text-xs text-slate-600 dark:text-slate-400">
                    <time dateTime={new Date(row.at).toISOString()}>{f.dateTime(row.at)}</time>{" "}
                    {row.username ? tAudit("list.by", { username: row.username }) : tAudit("list.byNobody")}
                  </div>
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </div>
  );
}

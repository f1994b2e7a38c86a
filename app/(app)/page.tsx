import type { Metadata } from "next";
import { getLocale, getTranslations } from "next-intl/server";
import { serverApi } from "@/app/_components/page-session";
import { HostFilter } from "@/app/_components/host-filter";
import { hostsShown, parseHostFilter, type SearchParams } from "@/app/_components/host-filter-param";
import { acrossHosts } from "@/server/hosts/fan-out";
import { formatBytes } from "@/app/_components/format";
import { HostUsage } from "./_dashboard/host-usage";
import { HostCharts } from "./_dashboard/host-charts";
import { SummaryCards } from "./_dashboard/summary-cards";
import { LIVE_RANGE, rangeWindow } from "@/app/_components/metric-series";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("dashboard");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="truncate text-sm font-medium" title={value}>
        {value}
      </dd>
    </div>
  );
}

export default async function DashboardPage({ searchParams }: { searchParams: SearchParams }) {
  const api = await serverApi();
  const t = await getTranslations("dashboard");
  const locale = await getLocale();
  // A disabled host is not connected to; the hosts page shows it.
  const enabled = (await api.hosts.list()).filter((h) => h.enabled);
  const filter = parseHostFilter(
    (await searchParams).host,
    enabled.map((h) => h.id),
  );
  const hosts = hostsShown(enabled, filter);
  // The counts are the shown hosts' own, so a filtered page's totals are that host's.
  const summary = await api.dashboard.summary(filter.hostId === null ? {} : { hostId: filter.hostId });
  // One window for every host's chart, fixed at render; new ticks extend it live.
  const chartWindow = rangeWindow(LIVE_RANGE, Date.now());
  // Every host at once, each within KVMM_HOST_TIMEOUT_S: a host that is down is shown greyed with its reason, not waited for.
  const answers = await acrossHosts(hosts, (host) => api.hosts.info({ hostId: host.id }));
  const infos = answers.map((answer, i) => ({ host: hosts[i]!, info: answer.ok ? answer.value : null, error: answer.ok ? null : answer.error }));
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      <HostFilter hosts={enabled} filter={filter} />
      <SummaryCards initial={summary} hostId={filter.hostId} />
      {infos.map(({ host, info, error }) => (
        <section key={host.id} aria-labelledby={`host-${host.id}`} className={error ? "card border-dashed" : "card"} data-unreachable={error ? "" : undefined}>
          <h2 id={`host-${host.id}`} className={`mb-4 text-lg font-semibold${error ? " text-slate-500 dark:text-slate-400" : ""}`}>
            {info?.hostname ?? host.name} <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({host.uri})</span>
          </h2>
          {error && (
            <p role="alert" translate="no" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
              {error}
            </p>
          )}
          {info && (
            <div className="mb-4">
              <HostUsage hostId={host.id} initial={info.usage} />
            </div>
          )}
          {info && (
            <div className="mb-4">
              <HostCharts hostId={host.id} span={chartWindow} />
            </div>
          )}
          {info && (
            <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
              <Fact label={t("hostname")} value={info.hostname} />
              <Fact label={t("libvirt")} value={info.libvirtVersion} />
              <Fact label={t("hypervisor")} value={`${info.hypervisor} ${info.hypervisorVersion}`} />
              <Fact label={t("cpuModel")} value={`${info.cpuModel} (${info.arch})`} />
              <Fact
                label={t("cpus")}
                value={t("cpusValue", { cpus: info.cpus, sockets: info.sockets, cores: info.cores, threads: info.threads, mhz: info.mhz })}
              />
              <Fact
                label={t("memory")}
                value={
                  info.memoryFreeBytes === null
                    ? formatBytes(info.memoryBytes, locale)
                    : t("memoryValue", { free: formatBytes(info.memoryFreeBytes, locale), total: formatBytes(info.memoryBytes, locale) })
                }
              />
              <Fact label={t("vms")} value={t("vmsValue", { running: info.activeDomains, stopped: info.inactiveDomains })} />
            </dl>
          )}
        </section>
      ))}
    </div>
  );
}

import type { Metadata } from "next";
import { TRPCError } from "@trpc/server";
import { serverApi } from "@/app/_components/page-session";
import { formatBytes } from "../_components/format";

export const metadata: Metadata = { title: "Dashboard" };
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

export default async function DashboardPage() {
  const api = await serverApi();
  const hosts = await api.hosts.list();
  const infos = await Promise.all(
    hosts.map(async (host) => {
      try {
        return { host, info: await api.hosts.info({ hostId: host.id }), error: null };
      } catch (err) {
        return { host, info: null, error: err instanceof TRPCError ? err.message : String(err) };
      }
    }),
  );
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">Dashboard</h1>
      {infos.map(({ host, info, error }) => (
        <section key={host.id} aria-labelledby={`host-${host.id}`} className="card">
          <h2 id={`host-${host.id}`} className="mb-4 text-lg font-semibold">
            {info?.hostname ?? host.name} <span className="text-sm font-normal text-slate-500 dark:text-slate-400">({host.uri})</span>
          </h2>
          {error && (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
              {error}
            </p>
          )}
          {info && (
            <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
              <Fact label="Hostname" value={info.hostname} />
              <Fact label="libvirt" value={info.libvirtVersion} />
              <Fact label="Hypervisor" value={`${info.hypervisor} ${info.hypervisorVersion}`} />
              <Fact label="CPU model" value={`${info.cpuModel} (${info.arch})`} />
              <Fact label="CPUs" value={`${info.cpus} (${info.sockets} socket × ${info.cores} cores × ${info.threads} threads, ${info.mhz} MHz)`} />
              <Fact label="Memory" value={`${formatBytes(info.memoryFreeBytes)} free of ${formatBytes(info.memoryBytes)}`} />
              <Fact label="Virtual machines" value={`${info.activeDomains} running, ${info.inactiveDomains} stopped`} />
            </dl>
          )}
        </section>
      ))}
    </div>
  );
}

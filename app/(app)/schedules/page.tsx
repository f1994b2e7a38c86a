import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { HostFilter } from "@/app/_components/host-filter";
import { parseHostFilter, type SearchParams } from "@/app/_components/host-filter-param";
import { HostConcurrencyForm, SchedulesManager } from "./schedules-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("schedules");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

/**
 * Every schedule the user may see (narrowed to targets their grants cover, and by the host filter to
 * those acting on one host), with its next run and last result; schedule.manage adds the editor,
 * run now and delete; settings.manage the per-host limit.
 */
export default async function SchedulesPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePermission("schedule.read");
  const t = await getTranslations("schedules");
  const canManage = roleHas(user.role, "schedule.manage");
  const api = await serverApi();
  const hosts = roleHas(user.role, "host.read") ? await api.hosts.list() : [];
  const enabled = hosts.filter((h) => h.enabled).map(({ id, name }) => ({ id, name }));
  const filter = parseHostFilter(
    (await searchParams).host,
    enabled.map((h) => h.id),
  );
  const [schedules, vmLists, limit] = await Promise.all([
    api.schedules.list(filter.hostId === null ? {} : { hostId: filter.hostId }),
    canManage && roleHas(user.role, "vm.read") ? api.vms.list({}) : [],
    api.schedules.hostConcurrency(),
  ]);
  const vms = vmLists
    .flatMap((list) => list.vms)
    .map(({ hostId, uuid, name }) => ({ hostId, uuid, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      {!canManage && <p className="card text-sm">{t("readOnly")}</p>}
      <HostFilter hosts={enabled} filter={filter} />
      <SchedulesManager initial={schedules} canManage={canManage} hosts={hosts.map(({ id, name }) => ({ id, name }))} vms={vms} hostId={filter.hostId} />
      {roleHas(user.role, "settings.manage") && <HostConcurrencyForm initial={limit} />}
    </div>
  );
}

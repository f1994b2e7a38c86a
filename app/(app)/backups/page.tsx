import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { HostFilter } from "@/app/_components/host-filter";
import { parseHostFilter, type SearchParams } from "@/app/_components/host-filter-param";
import { BackupList } from "./backup-list";
import { BackupTargets } from "./targets";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("backups");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

/**
 * Every backup the user may see (of one host's VMs when the host filter names it), with verify,
 * restore and delete as their role allows, and the backup targets.
 */
export default async function BackupsPage({ searchParams }: { searchParams: SearchParams }) {
  const user = await requirePermission("backup.read");
  const t = await getTranslations("backups");
  const api = await serverApi();
  const hosts = await api.hosts.list();
  const enabled = hosts.filter((h) => h.enabled).map(({ id, name }) => ({ id, name }));
  const filter = parseHostFilter(
    (await searchParams).host,
    enabled.map((h) => h.id),
  );
  const [backups, targets] = await Promise.all([
    api.backups.list({ limit: 200, ...(filter.hostId === null ? {} : { hostId: filter.hostId }) }),
    api.backups.targets(),
  ]);
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("liveNote")}</p>
      <HostFilter hosts={enabled} filter={filter} />
      <BackupList
        initial={backups}
        hostId={filter.hostId}
        can={{
          verify: roleHas(user.role, "backup.create"),
          restore: roleHas(user.role, "backup.restore"),
          delete: roleHas(user.role, "backup.delete"),
          cancel: roleHas(user.role, "task.cancel"),
        }}
      />
      <BackupTargets
        initial={targets}
        hosts={roleHas(user.role, "backup.target") ? hosts.map((h) => ({ id: h.id, name: h.name })) : []}
        canManage={roleHas(user.role, "backup.target")}
      />
    </div>
  );
}

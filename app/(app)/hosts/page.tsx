import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { HostsManager } from "./hosts-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("hosts");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

export default async function HostsPage() {
  const user = await requirePermission("host.read");
  const [t, api] = await Promise.all([getTranslations("hosts"), serverApi()]);
  const hosts = await api.hosts.list();
  const canManage = roleHas(user.role, "host.manage");
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
        {canManage && (
          <Link href="/hosts/new" className="btn btn-primary">
            {t("addHost")}
          </Link>
        )}
      </div>
      <HostsManager initial={hosts} canManage={canManage} canMigrate={roleHas(user.role, "vm.migrate")} />
    </div>
  );
}

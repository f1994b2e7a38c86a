import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { RulesManager } from "./rules-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("alerts");
  return { title: t("rulesTitle") };
}
export const dynamic = "force-dynamic";

/**
 * The alert rules. Every role may read them (alert.read): an operator or viewer learns what is
 * watched and when they are told, which is no secret; only alert.manage (admins) sees the controls
 * that change them, and the server refuses the changes to anyone else.
 */
export default async function AlertRulesPage() {
  const user = await requirePermission("alert.read");
  const t = await getTranslations("alerts");
  const canManage = roleHas(user.role, "alert.manage");
  const api = await serverApi();
  const [rules, hosts, vmLists] = await Promise.all([
    api.alerts.rules(),
    roleHas(user.role, "host.read") ? api.hosts.list() : [],
    roleHas(user.role, "vm.read") ? api.vms.list({}) : [],
  ]);
  const vms = vmLists
    .flatMap((list) => list.vms)
    .map(({ hostId, uuid, name }) => ({ hostId, uuid, name }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{t("rulesTitle")}</h1>
        <Link href="/alerts" className="btn btn-secondary">
          {t("alertsLink")}
        </Link>
      </div>
      {!canManage && <p className="card text-sm">{t("rules.readOnly")}</p>}
      <RulesManager initial={rules} canManage={canManage} hosts={hosts.map(({ id, name }) => ({ id, name }))} vms={vms} />
    </div>
  );
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { Link } from "@/app/_components/link";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { parseView } from "./list-view";
import { VmList } from "./vm-list";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmList");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [user, api, query, t] = await Promise.all([pageUser(), serverApi(), searchParams, getTranslations("vmList")]);
  const [initial, hosts] = await Promise.all([api.vms.list({}), api.hosts.list()]);
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{t("title")}</h1>
        {user && roleHas(user.role, "vm.create") && (
          <Link href="/vms/new" className="btn btn-primary">
            {t("newVm")}
          </Link>
        )}
      </div>
      <VmList
        initial={initial}
        initialHosts={hosts}
        initialView={parseView(query)}
        canPower={!!user && roleHas(user.role, "vm.power")}
        canSnapshot={!!user && roleHas(user.role, "vm.snapshot")}
        canUpdateAgents={!!user && roleHas(user.role, "guest.exec")}
        canSeeScreens={!!user && roleHas(user.role, "vm.console")}
      />
    </div>
  );
}

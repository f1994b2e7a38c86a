import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { hostResourcePage } from "@/app/_components/host-resources/host-resource-page";
import type { SearchParams } from "@/app/_components/host-filter-param";
import { NetworksManager } from "./networks-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("networks");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

export default async function NetworksPage({ searchParams }: { searchParams: SearchParams }) {
  const t = await getTranslations("networks");
  return hostResourcePage({
    title: t("pageTitle"),
    read: "network.read",
    manage: "network.manage",
    load: (api, hostId) => api.networks.list({ hostId }),
    Manager: NetworksManager,
  })({ searchParams });
}

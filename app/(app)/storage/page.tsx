import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { hostResourcePage } from "@/app/_components/host-resources/host-resource-page";
import type { SearchParams } from "@/app/_components/host-filter-param";
import { StorageManager } from "./storage-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("storage");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

export default async function StoragePage({ searchParams }: { searchParams: SearchParams }) {
  const t = await getTranslations("storage");
  // The shared page takes its title as words; they are the reader's language, so it is made per request.
  const Page = hostResourcePage({
    title: t("pageTitle"),
    read: "storage.read",
    manage: "storage.manage",
    load: (api, hostId) => api.storage.pools({ hostId }),
    Manager: StorageManager,
  });
  return <Page searchParams={searchParams} />;
}

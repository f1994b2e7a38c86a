import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { SettingsTab } from "./settings-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmSettings");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmSettingsPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <SettingsTab initial={vm} canEdit={can.edit} canDelete={can.delete} canMakeTemplate={can.templateManage} />;
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { SnapshotsTab } from "./snapshots-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmSnapshots");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmSnapshotsPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <SnapshotsTab initial={vm} canManage={can.snapshot} />;
}

import type { Metadata } from "next";
import { loadVm, vmPermissions } from "../load-vm";
import { OverviewTab } from "./overview-tab";

export const metadata: Metadata = { title: "VM overview" };
export const dynamic = "force-dynamic";

export default async function VmOverviewPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <OverviewTab initial={vm} canSeeScreen={can.console} />;
}

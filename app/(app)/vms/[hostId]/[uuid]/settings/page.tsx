import type { Metadata } from "next";
import { loadVm, vmPermissions } from "../load-vm";
import { SettingsTab } from "./settings-tab";

export const metadata: Metadata = { title: "VM settings" };
export const dynamic = "force-dynamic";

export default async function VmSettingsPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <SettingsTab initial={vm} canEdit={can.edit} canDelete={can.delete} />;
}

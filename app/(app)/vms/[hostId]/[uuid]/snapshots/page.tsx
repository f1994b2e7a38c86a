import type { Metadata } from "next";
import { loadVm, vmPermissions } from "../load-vm";
import { SnapshotsTab } from "./snapshots-tab";

export const metadata: Metadata = { title: "VM snapshots" };
export const dynamic = "force-dynamic";

export default async function VmSnapshotsPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <SnapshotsTab initial={vm} canManage={can.snapshot} />;
}

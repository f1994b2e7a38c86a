import type { Metadata } from "next";
import { forbidden } from "next/navigation";
import { loadVm, vmPermissions } from "../load-vm";
import { GuestTab } from "./guest-tab";

export const metadata: Metadata = { title: "VM guest" };
export const dynamic = "force-dynamic";

export default async function VmGuestPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  if (!can.guestRead) forbidden();
  return <GuestTab initial={vm} canExec={can.guestExec} />;
}

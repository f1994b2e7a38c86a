import type { Metadata } from "next";
import { loadVm, vmPermissions } from "./load-vm";
import { VmDetail } from "./vm-detail";

export const metadata: Metadata = { title: "Virtual machine" };
export const dynamic = "force-dynamic";

export default async function VmPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return <VmDetail initial={vm} can={can} />;
}

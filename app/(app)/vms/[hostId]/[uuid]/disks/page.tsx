import type { Metadata } from "next";
import { serverApi } from "@/app/_components/page-session";
import { loadVm, vmPermissions } from "../load-vm";
import { DisksTab } from "./disks-tab";

export const metadata: Metadata = { title: "Disks" };
export const dynamic = "force-dynamic";

export default async function DisksPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  const disks = await (await serverApi()).storage.vmDisks({ hostId, uuid });
  return (
    <section aria-labelledby="disks-heading" className="space-y-4">
      <h2 id="disks-heading" className="text-lg font-semibold">
        Disks
      </h2>
      <DisksTab initialVm={vm} initialDisks={disks} can={{ edit: can.edit, storageRead: can.storageRead }} />
    </section>
  );
}

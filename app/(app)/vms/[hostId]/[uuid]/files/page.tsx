import type { Metadata } from "next";
import { loadVm, vmPermissions } from "../load-vm";
import { FilesTab } from "./files-tab";

export const metadata: Metadata = { title: "Files" };
export const dynamic = "force-dynamic";

export default async function VmFilesPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return (
    <section aria-labelledby="vm-files-heading" className="space-y-4">
      <h2 id="vm-files-heading" className="text-lg font-semibold">
        Files
      </h2>
      {can.guestFiles ? (
        <FilesTab hostId={hostId} uuid={uuid} vmName={vm.name} />
      ) : (
        <p className="text-sm">
          Your role may not read or write files inside VMs: it needs the guest.files permission. An administrator can give you the operator role.
        </p>
      )}
    </section>
  );
}

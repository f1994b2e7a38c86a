import { loadVm, vmPermissions } from "./load-vm";
import { tabsFor } from "./tabs";
import { VmHeader } from "./vm-header";
import { VmTabs } from "./vm-tabs";

export const dynamic = "force-dynamic";

/** Every tab of a VM: its name, state and power buttons, then the tab bar, then the tab. */
export default async function VmLayout({ params, children }: { params: Promise<{ hostId: string; uuid: string }>; children: React.ReactNode }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return (
    <div className="space-y-4">
      <VmHeader initial={vm} canPower={can.power} />
      <VmTabs base={`/vms/${encodeURIComponent(vm.hostId)}/${vm.uuid}`} tabs={tabsFor(can)} />
      {children}
    </div>
  );
}

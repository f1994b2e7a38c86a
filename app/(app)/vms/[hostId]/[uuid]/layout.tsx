import { loadVm, vmPermissions } from "./load-vm";
import { tabsFor } from "./tabs";
import { VmHeader } from "./vm-header";
import { VmTabs } from "./vm-tabs";
import { VmAlertBanner } from "./alert-banner";
import { VmTaskLine } from "./task-line";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { roleHas } from "@/server/auth/permissions";

export const dynamic = "force-dynamic";

/** Every tab of a VM: its name, state and power buttons, then the tab bar, then the tab. */
export default async function VmLayout({ params, children }: { params: Promise<{ hostId: string; uuid: string }>; children: React.ReactNode }) {
  const { hostId, uuid } = await params;
  const [vm, can, user] = await Promise.all([loadVm(hostId, uuid), vmPermissions(), pageUser()]);
  const api = await serverApi();
  const [alerts, tasks] = await Promise.all([
    user && roleHas(user.role, "alert.read") ? api.alerts.list({ hostId: vm.hostId, uuid: vm.uuid, limit: 50 }) : null,
    user && roleHas(user.role, "task.read") ? api.tasks.list({ vm: { hostId: vm.hostId, uuid: vm.uuid }, limit: 10 }) : null,
  ]);
  return (
    <div className="space-y-4">
      <VmHeader initial={vm} canPower={can.power} canMigrate={can.migrate} />
      {alerts && <VmAlertBanner hostId={vm.hostId} uuid={vm.uuid} initial={alerts} />}
      {tasks && <VmTaskLine hostId={vm.hostId} uuid={vm.uuid} initial={tasks} />}
      <VmTabs base={`/vms/${encodeURIComponent(vm.hostId)}/${vm.uuid}`} tabs={tabsFor(can)} />
      {children}
    </div>
  );
}

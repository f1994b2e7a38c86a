import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { roleHas } from "@/server/auth/permissions";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { SnapshotsTab } from "./snapshots-tab";
import { VmBackups } from "./vm-backups";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmSnapshots");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmSnapshotsPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can, user] = await Promise.all([loadVm(hostId, uuid), vmPermissions(), pageUser()]);
  const may = (p: Parameters<typeof roleHas>[1]) => !!user && roleHas(user.role, p);
  // Backups sit beside snapshots: both are copies of the VM's disks at a point in time.
  const api = await serverApi();
  const [backups, targets] = may("backup.read")
    ? await Promise.all([api.backups.list({ vm: { hostId, uuid: vm.uuid }, limit: 200 }), api.backups.targets()])
    : [null, []];
  return (
    <div className="space-y-4">
      <SnapshotsTab initial={vm} canManage={can.snapshot} />
      {backups && (
        <VmBackups
          vm={{ hostId, uuid: vm.uuid, name: vm.name }}
          initial={backups}
          pools={targets.filter((t) => t.hostId === hostId).map((t) => t.pool)}
          canCreate={may("backup.create")}
          can={{ verify: may("backup.create"), restore: may("backup.restore"), delete: may("backup.delete"), cancel: may("task.cancel") }}
        />
      )}
    </div>
  );
}

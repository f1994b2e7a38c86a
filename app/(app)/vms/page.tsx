import type { Metadata } from "next";
import { currentUser } from "@/server/auth/session";
import { roleHas } from "@/server/auth/permissions";
import { serverApi } from "../../_components/server-caller";
import { VmList } from "./vm-list";

export const metadata: Metadata = { title: "Virtual machines" };
export const dynamic = "force-dynamic";

export default async function VmsPage() {
  const user = await currentUser();
  const api = await serverApi();
  const initial = await api.vms.list({});
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Virtual machines</h1>
      <VmList initial={initial} canPower={!!user && roleHas(user.role, "vm.power")} />
    </div>
  );
}

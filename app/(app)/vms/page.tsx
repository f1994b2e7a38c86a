import type { Metadata } from "next";
import { roleHas } from "@/server/auth/permissions";
import Link from "next/link";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { VmList } from "./vm-list";

export const metadata: Metadata = { title: "Virtual machines" };
export const dynamic = "force-dynamic";

export default async function VmsPage() {
  const user = await pageUser();
  const api = await serverApi();
  const initial = await api.vms.list({});
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">Virtual machines</h1>
        {user && roleHas(user.role, "vm.create") && (
          <Link href="/vms/new" className="btn btn-primary">
            New VM
          </Link>
        )}
      </div>
      <VmList initial={initial} canPower={!!user && roleHas(user.role, "vm.power")} />
    </div>
  );
}

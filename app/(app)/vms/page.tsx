import type { Metadata } from "next";
import { roleHas } from "@/server/auth/permissions";
import Link from "next/link";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { parseView } from "./list-view";
import { VmList } from "./vm-list";

export const metadata: Metadata = { title: "Virtual machines" };
export const dynamic = "force-dynamic";

export default async function VmsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const [user, api, query] = await Promise.all([pageUser(), serverApi(), searchParams]);
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
      <VmList
        initial={initial}
        initialView={parseView(query)}
        canPower={!!user && roleHas(user.role, "vm.power")}
        canSnapshot={!!user && roleHas(user.role, "vm.snapshot")}
        canSeeScreens={!!user && roleHas(user.role, "vm.console")}
      />
    </div>
  );
}

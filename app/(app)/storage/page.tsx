import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { currentUser } from "@/server/auth/session";
import { roleHas } from "@/server/auth/permissions";
import { serverApi } from "../../_components/server-caller";
import { StorageManager, type HostPools } from "./storage-manager";

export const metadata: Metadata = { title: "Storage" };
export const dynamic = "force-dynamic";

export default async function StoragePage() {
  const user = await currentUser();
  if (!user || !roleHas(user.role, "storage.read")) notFound();
  const api = await serverApi();
  const hosts = await api.hosts.list();
  // One unreachable host does not hide the others' pools.
  const initial: HostPools[] = await Promise.all(
    hosts.map(async (host) => {
      try {
        return { host: { id: host.id, name: host.name }, pools: await api.storage.pools({ hostId: host.id }), error: null };
      } catch (err) {
        return { host: { id: host.id, name: host.name }, pools: null, error: err instanceof TRPCError ? err.message : String(err) };
      }
    }),
  );
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Storage</h1>
      <StorageManager initial={initial} canManage={roleHas(user.role, "storage.manage")} />
    </div>
  );
}

import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { currentUser } from "@/server/auth/session";
import { roleHas } from "@/server/auth/permissions";
import { serverApi } from "../../_components/server-caller";
import { NetworksManager, type HostNetworks } from "./networks-manager";

export const metadata: Metadata = { title: "Networks" };
export const dynamic = "force-dynamic";

export default async function NetworksPage() {
  const user = await currentUser();
  if (!user || !roleHas(user.role, "network.read")) notFound();
  const api = await serverApi();
  const hosts = await api.hosts.list();
  // One unreachable host does not hide the others' networks.
  const initial: HostNetworks[] = await Promise.all(
    hosts.map(async (host) => {
      try {
        return { host: { id: host.id, name: host.name }, networks: await api.networks.list({ hostId: host.id }), error: null };
      } catch (err) {
        return { host: { id: host.id, name: host.name }, networks: null, error: err instanceof TRPCError ? err.message : String(err) };
      }
    }),
  );
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Networks</h1>
      <NetworksManager initial={initial} canManage={roleHas(user.role, "network.manage")} />
    </div>
  );
}

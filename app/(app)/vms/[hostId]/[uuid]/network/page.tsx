import type { Metadata } from "next";
import { serverApi } from "@/app/_components/page-session";
import { loadVm, vmPermissions } from "../load-vm";
import { NicsPanel } from "./nics-panel";

export const metadata: Metadata = { title: "Network" };
export const dynamic = "force-dynamic";

export default async function NetworkTab({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  const api = await serverApi();
  const [nics, sources] = await Promise.all([api.nics.list({ hostId, uuid }), can.edit ? api.nics.sources({ hostId, uuid }) : null]);
  return (
    <section className="space-y-4" aria-labelledby="network-tab-heading">
      <h2 id="network-tab-heading" className="text-lg font-semibold">
        Network
      </h2>
      <NicsPanel hostId={hostId} uuid={uuid} vmName={vm.name} initial={nics} initialSources={sources} canEdit={can.edit} />
    </section>
  );
}

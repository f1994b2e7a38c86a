import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { serverApi } from "@/app/_components/page-session";
import { loadVm, vmPermissions } from "../load-vm";
import { NicsPanel } from "./nics-panel";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmNetwork");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function NetworkTab({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const t = await getTranslations("vmNetwork");
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  const api = await serverApi();
  const [nics, sources] = await Promise.all([api.nics.list({ hostId, uuid }), can.edit ? api.nics.sources({ hostId, uuid }) : null]);
  return (
    <section className="space-y-4" aria-labelledby="network-tab-heading">
      <h2 id="network-tab-heading" className="text-lg font-semibold">
        {t("heading")}
      </h2>
      <NicsPanel hostId={hostId} uuid={uuid} vmName={vm.name} initial={nics} initialSources={sources} canEdit={can.edit} />
    </section>
  );
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { OverviewTab } from "./overview-tab";
import { serverApi } from "@/app/_components/page-session";
import { VmInsightLines } from "@/app/(app)/insights/insight-line";
import { VmScheduleLine } from "@/app/(app)/schedules/vm-schedule-line";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vm.overview");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmOverviewPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  // Reading the VM needed vm.read, which is all insights.list asks for.
  const insights = await (await serverApi()).insights.list({ hostId: vm.hostId, uuid: vm.uuid });
  return (
    <div className="space-y-4">
      <VmInsightLines insights={insights?.insights ?? []} />
      <OverviewTab initial={vm} canSeeScreen={can.console} />
      <VmScheduleLine hostId={vm.hostId} uuid={vm.uuid} />
    </div>
  );
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { serverApi } from "@/app/_components/page-session";
import { loadVm, vmPermissions } from "../load-vm";
import { DisksTab } from "./disks-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmDisks");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function DisksPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const t = await getTranslations("vmDisks");
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  const disks = await (await serverApi()).storage.vmDisks({ hostId, uuid });
  return (
    <section aria-labelledby="disks-heading" className="space-y-4">
      <h2 id="disks-heading" className="text-lg font-semibold">
        {t("heading")}
      </h2>
      <DisksTab initialVm={vm} initialDisks={disks} can={{ edit: can.edit, storageRead: can.storageRead }} />
    </section>
  );
}

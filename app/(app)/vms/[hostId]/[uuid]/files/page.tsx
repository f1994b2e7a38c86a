import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { FilesTab } from "./files-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmFiles");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmFilesPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can, t] = await Promise.all([loadVm(hostId, uuid), vmPermissions(), getTranslations("vmFiles")]);
  return (
    <section aria-labelledby="vm-files-heading" className="space-y-4">
      <h2 id="vm-files-heading" className="text-lg font-semibold">
        {t("heading")}
      </h2>
      {can.guestFiles ? <FilesTab hostId={hostId} uuid={uuid} vmName={vm.name} /> : <p className="text-sm">{t("noPermission")}</p>}
    </section>
  );
}

import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations } from "next-intl/server";
import { requirePermission } from "@/app/_components/page-session";
import { AddHostForm } from "./add-host-form";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("hosts.add");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

export default async function AddHostPage() {
  await requirePermission("host.manage");
  const t = await getTranslations("hosts.add");
  return (
    <div className="space-y-6">
      <div className="space-y-1">
        <Link href="/hosts" className="text-sm underline">
          {t("back")}
        </Link>
        <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      </div>
      <AddHostForm />
    </div>
  );
}

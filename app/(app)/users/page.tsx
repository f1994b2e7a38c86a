import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requirePermission } from "@/app/_components/page-session";
import { UsersManager } from "./users-manager";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("users");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

export default async function UsersPage() {
  const user = await requirePermission("user.manage");
  const t = await getTranslations("users");
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      <UsersManager currentUserId={user.id} />
    </div>
  );
}

import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { USER_DATA_MAX_CHARS } from "@/server/templates/contract";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { TemplateLibrary } from "./template-library";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("templates");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

/** The template library: every role sees it; deploy and delete are offered as the role allows (the server checks again). */
export default async function TemplatesPage() {
  const user = await requirePermission("template.read");
  const t = await getTranslations("templates");
  const templates = await (await serverApi()).templates.list({});
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("liveNote")}</p>
      <TemplateLibrary
        initial={templates}
        userDataMaxChars={USER_DATA_MAX_CHARS}
        // Deploying makes a VM (vm.create); its pool is chosen from the host's pools (storage.read).
        can={{ manage: roleHas(user.role, "template.manage"), deploy: roleHas(user.role, "vm.create") && roleHas(user.role, "storage.read") }}
      />
    </div>
  );
}

import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { useTranslations } from "next-intl";
import { getTranslations } from "next-intl/server";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("common.forbidden");
  return { title: t("pageTitle") };
}

/**
 * What a signed-in user sees (with HTTP 403, inside the app's shell) on a page their role may not
 * open: requirePermission() in app/_components/page-session.ts sends them here.
 */
export default function Forbidden() {
  const t = useTranslations("common.forbidden");
  return (
    <div className="card max-w-lg space-y-3">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      <p className="text-sm">{t("body")}</p>
      <Link href="/" className="btn btn-primary">
        {t("back")}
      </Link>
    </div>
  );
}

import { pageUser } from "@/app/_components/page-session";
import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { redirect } from "next/navigation";
import { sameOriginPath } from "@/server/auth/safe-redirect";
import { LoginForm } from "./login-form";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("auth");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

/** The product's name, the same in every language. */
const PRODUCT = "KVM Manager";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  if (await pageUser()) redirect("/");
  const { callbackUrl } = await searchParams;
  // Only same-site paths: an open redirect after login is a phishing aid.
  const next = sameOriginPath(callbackUrl);
  const t = await getTranslations("auth");
  return (
    <main className="flex min-h-dvh items-center justify-center px-4 py-10">
      <div className="card w-full max-w-sm">
        <h1 className="mb-1 text-xl font-semibold" translate="no">
          {PRODUCT}
        </h1>
        <p className="mb-6 text-sm text-slate-600 dark:text-slate-400">{t("intro")}</p>
        <LoginForm next={next} />
      </div>
    </main>
  );
}

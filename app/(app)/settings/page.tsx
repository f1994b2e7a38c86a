import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { pageUser } from "@/app/_components/page-session";
import { ChangePasswordForm } from "./change-password-form";
import { SessionsList } from "./sessions-list";
import { LanguageForm } from "./language-form";
import { MetricsTokens } from "./metrics-tokens";
import { RetentionForm } from "./retention-form";
import { NotificationSettings } from "./notifications";
import { roleHas } from "@/server/auth/permissions";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("settings");
  return { title: t("pageTitle") };
}

export default async function SettingsPage() {
  const t = await getTranslations("settings");
  const user = await pageUser();
  const tn = await getTranslations("notifications");
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      <section className="card max-w-lg" aria-labelledby="password-heading">
        <h2 id="password-heading" className="mb-4 text-lg font-semibold">
          {t("password.heading")}
        </h2>
        <ChangePasswordForm />
      </section>
      <section className="card max-w-lg" aria-labelledby="sessions-heading">
        <h2 id="sessions-heading" className="mb-2 text-lg font-semibold">
          {t("sessions.heading")}
        </h2>
        <SessionsList />
      </section>
      <section className="card max-w-lg" aria-labelledby="language-heading">
        <h2 id="language-heading" className="mb-4 text-lg font-semibold">
          {t("language.heading")}
        </h2>
        <LanguageForm current={user?.locale ?? null} />
      </section>
      {user && roleHas(user.role, "metrics.tokens") && (
        <section className="card max-w-2xl" aria-labelledby="metrics-tokens-heading">
          <h2 id="metrics-tokens-heading" className="mb-2 text-lg font-semibold">
            {t("metricsTokens.heading")}
          </h2>
          <MetricsTokens />
        </section>
      )}
      {user && roleHas(user.role, "settings.manage") && (
        <section className="card max-w-2xl" aria-labelledby="retention-heading">
          <h2 id="retention-heading" className="mb-2 text-lg font-semibold">
            {t("retention.heading")}
          </h2>
          <p className="mb-4 text-sm text-slate-600 dark:text-slate-400">{t("retention.text")}</p>
          <RetentionForm />
        </section>
      )}
      {user && roleHas(user.role, "alert.manage") && (
        <section className="card max-w-2xl" aria-labelledby="notifications-heading">
          <h2 id="notifications-heading" className="mb-2 text-lg font-semibold">
            {tn("heading")}
          </h2>
          <NotificationSettings />
        </section>
      )}
      <section className="card max-w-lg" aria-labelledby="theme-heading">
        <h2 id="theme-heading" className="mb-2 text-lg font-semibold">
          {t("appearance.heading")}
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("appearance.text")}</p>
      </section>
    </div>
  );
}

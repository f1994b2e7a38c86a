"use client";

import { useState, type FormEvent } from "react";
import { useTranslations } from "next-intl";
import { useMutation } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { describedBy, Field } from "@/app/_components/form-fields";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import { isLocale, LOCALE_NAMES, LOCALES, type Locale } from "@/server/i18n/locales";

/**
 * The dashboard's language for this account: a language of its own, or the browser's (the empty
 * choice). Saved, the page loads again in full, so the server renders everything (the root
 * layout's `<html lang>` included) in the new language; a client refresh would keep the old shell.
 */
export function LanguageForm({ current }: { current: Locale | null }) {
  const t = useTranslations("settings.language");
  const trpc = useTRPC();
  const hydrated = useHydrated();
  const [choice, setChoice] = useState<string>(current ?? "");
  const save = useMutation(trpc.auth.setLocale.mutationOptions({ onSuccess: () => window.location.reload() }));

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    save.mutate({ locale: isLocale(choice) ? choice : null });
  }

  return (
    <form onSubmit={onSubmit} method="post" className="space-y-3">
      <Field id="locale" label={t("label")} hint={t("hint")}>
        <select
          id="locale"
          name="locale"
          className="input mt-1"
          value={choice}
          onChange={(e) => setChoice(e.target.value)}
          {...describedBy("locale", true, null)}
          disabled={!hydrated || save.isPending}
        >
          <option value="">{t("automatic")}</option>
          {/* Each language by its own name, as a reader of it looks for it. */}
          {LOCALES.map((locale) => (
            <option key={locale} value={locale} lang={locale} translate="no">
              {LOCALE_NAMES[locale]}
            </option>
          ))}
        </select>
      </Field>
      <FormStatus error={save.error?.message ?? null} />
      <button type="submit" className="btn btn-primary" disabled={!hydrated || save.isPending}>
        {save.isPending ? t("saving") : t("save")}
      </button>
    </form>
  );
}

"use client";

import { NextIntlClientProvider, type AbstractIntlMessages } from "next-intl";
import { missingMessage } from "@/server/i18n/messages-fallback";
import type { Locale } from "@/server/i18n/locales";

/**
 * The catalog for client components. A wrapper because a function (the missing-key mark) cannot be
 * passed from the server layout to a client component: both sides mark a missing key the same way.
 */
export function IntlProvider({ locale, messages, children }: { locale: Locale; messages: AbstractIntlMessages; children: React.ReactNode }) {
  return (
    <NextIntlClientProvider locale={locale} messages={messages} timeZone="UTC" getMessageFallback={missingMessage}>
      {children}
    </NextIntlClientProvider>
  );
}

import { headers } from "next/headers";
import { getRequestConfig } from "next-intl/server";
import { pageUser } from "@/app/_components/page-session";
import { negotiateLocale, type Locale } from "./locales";
import { MESSAGES, missingMessage } from "./messages";

/**
 * next-intl's per-request configuration (named in next.config.mjs). The locale is the signed-in
 * user's choice from Settings, else the browser's Accept-Language; pageUser is the render's one
 * session look-up, shared with the layout and page. Times are shown in UTC, as the server and the
 * audit log keep them, so a server render and the browser's hydration agree to the second.
 */
export default getRequestConfig(async () => {
  const locale = await requestLocale();
  return { locale, messages: MESSAGES[locale], timeZone: "UTC", getMessageFallback: missingMessage };
});

async function requestLocale(): Promise<Locale> {
  const user = await pageUser();
  return user?.locale ?? negotiateLocale((await headers()).get("accept-language"));
}

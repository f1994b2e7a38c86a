import type { useTranslations } from "next-intl";

/** The settings page's words, which name a device ("Chrome on Android") in the reader's language. */
export type SettingsT = ReturnType<typeof useTranslations<"settings">>;

/** "Chrome on Android" from a User-Agent header: enough for a person to recognise their own devices. Browsers and systems are names, the same in every language. */
export function deviceName(userAgent: string, t: SettingsT): string {
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrom(e|ium)\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : /curl\//.test(userAgent)
            ? "curl"
            : null;
  const system = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X|Macintosh/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : null;
  if (browser && system) return t("devices.browserOnSystem", { browser, system });
  return browser ?? system ?? t("devices.unknown");
}

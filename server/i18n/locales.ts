/**
 * The languages the dashboard speaks, and how one is picked for a request: the user's choice in
 * Settings when there is one, else the best match in the browser's Accept-Language, else English.
 * Pure and client-safe: the Settings form lists the same locales the server negotiates.
 */
export const LOCALES = ["en", "de"] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = "en";

/** Each language named in itself, as language pickers do: a German speaker looks for "Deutsch", not "German". */
export const LOCALE_NAMES: Readonly<Record<Locale, string>> = { en: "English", de: "Deutsch" };

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (LOCALES as readonly string[]).includes(value);
}

/**
 * The best of our locales for an Accept-Language header ("de-CH,de;q=0.9,en;q=0.8"): ranges by
 * weight, a region ("de-AT") matching its language; "*" or nothing we speak gives the default.
 * Malformed parts are skipped rather than failing the request.
 */
export function negotiateLocale(acceptLanguage: string | null | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  const ranges = acceptLanguage
    .slice(0, 1024)
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
      return { language: tag.trim().toLowerCase().split("-")[0] ?? "", weight: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.weight > 0 && /^[a-z]{1,8}$/.test(r.language))
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  return ranges.map((r) => r.language).find(isLocale) ?? DEFAULT_LOCALE;
}

import en from "./messages/en";
import de from "./messages/de";
import type { Locale } from "./locales";

export { missingMessage } from "./messages-fallback";

/** English is the source: its shape is the type every catalog must have (checked in catalogs.test.ts). */
export type Messages = typeof en;

export const MESSAGES: Readonly<Record<Locale, Messages>> = { en, de: de as Messages };

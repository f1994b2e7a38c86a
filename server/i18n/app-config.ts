import type { Locale } from "./locales";
import type { Messages } from "./messages";

// next-intl's types take the locales and the English catalog from here: a key that English does
// not have, or a missing ICU argument, is a type error in every useTranslations/getTranslations call.
declare module "next-intl" {
  interface AppConfig {
    Locale: Locale;
    Messages: Messages;
  }
}

import { useMemo } from "react";
import { useLocale } from "next-intl";
import { formatBytes, formatDateTime, formatNumber } from "./format";

/** format.ts bound to the page's locale, for client components and non-async server components. */
export function useFormat() {
  const locale = useLocale();
  return useMemo(
    () => ({
      locale,
      bytes: (bytes: number) => formatBytes(bytes, locale),
      dateTime: (date: Date | string | number | null | undefined) => formatDateTime(date, locale),
      number: (value: number, fractionDigits?: number) => formatNumber(value, locale, fractionDigits),
    }),
    [locale],
  );
}

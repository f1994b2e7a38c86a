/**
 * Numbers, sizes and times in the reader's locale ("1.5 GiB" / "1,5 GiB"). Pure: each takes the
 * locale (useFormat() in a component, `await getLocale()` in an async server component). Times are
 * UTC, as the server and the audit log keep them, and say so; a missing time reads "—".
 */
const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function numberFormat(locale: string, fractionDigits: number): Intl.NumberFormat {
  const key = `${locale}/${fractionDigits}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
    numberFormats.set(key, format);
  }
  return format;
}

/** A count or an amount, grouped as the locale groups thousands; `fractionDigits` fixes the decimals. */
export function formatNumber(value: number, locale: string, fractionDigits = 0): string {
  return numberFormat(locale, fractionDigits).format(value);
}

/** Bytes in binary units, one decimal below 10 of a unit: "512 MiB", "1.5 GiB". */
export function formatBytes(bytes: number, locale: string): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value, locale, value >= 10 || unit === 0 ? 0 : 1)} ${UNITS[unit]}`;
}

/** A moment to the second, 24-hour, in UTC: "Nov 27, 2026, 18:49:28 UTC" / "27.11.2026, 18:49:28 UTC". */
export function formatDateTime(date: Date | string | number | null | undefined, locale: string): string {
  if (date === null || date === undefined) return "—";
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium", hourCycle: "h23", timeZone: "UTC" });
    dateFormats.set(locale, format);
  }
  return `${format.format(new Date(date))} UTC`;
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDateTime(date: Date | string | number | null | undefined): string {
  if (date === null || date === undefined) return "—";
  return new Date(date).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

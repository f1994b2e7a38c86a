// Sizes as people type and read them (binary units), shared by the volume forms and the server's
// messages. No imports: client code loads this module.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** 1536 MiB → "1.5 GiB"; whole numbers from 10 up, one decimal below. */
export function formatSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${UNITS[unit]}`;
}

const FACTORS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * "20", "20 GiB", "512M", "1.5 TiB", "0,5 g" → bytes (whole, rounded); a bare number is in GiB.
 * KB/MB/GB/TB are read as binary units too, as qemu-img and virsh read them. Null when it is not a
 * positive size.
 */
export function parseSize(text: string): number | null {
  const match = /^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*(?:([kmgt])(?:i?b)?)?\s*$/i.exec(text);
  if (!match) return null;
  const value = Number(match[1]!.replace(",", "."));
  const bytes = Math.round(value * FACTORS[(match[2] ?? "g").toLowerCase()]!);
  return bytes > 0 ? bytes : null;
}

/** A byte count for a size field's value: in the largest unit it is a whole number of ("20 GiB", "1536 MiB"), else GiB to three decimals. */
export function sizeFieldText(bytes: number): string {
  for (const [unit, factor] of [
    ["TiB", 1024 ** 4],
    ["GiB", 1024 ** 3],
    ["MiB", 1024 ** 2],
  ] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`;
  }
  return `${Math.round((bytes / 1024 ** 3) * 1000) / 1000} GiB`;
}

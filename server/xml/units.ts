import { attr, textOf } from "./codec";

/**
 * libvirt's scaled integers (`<memory unit='GiB'>2</memory>`, `<capacity unit='M'>…`): every unit
 * its schema accepts, binary (k, KiB, M, MiB…) and decimal (KB, MB…), case-insensitive.
 * One table for every document we read: domains, volumes, pools.
 */
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  bytes: 1,
  k: 1024,
  kib: 1024,
  kb: 1000,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mb: 1000 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gb: 1000 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  tb: 1000 ** 4,
  p: 1024 ** 5,
  pib: 1024 ** 5,
  pb: 1000 ** 5,
  e: 1024 ** 6,
  eib: 1024 ** 6,
  eb: 1000 ** 6,
};

/**
 * The element's value in bytes, or null when it is empty. `defaultUnit` is what the element means
 * without a `unit` attribute (KiB for a domain's memory, bytes for a volume's capacity). An
 * unknown unit throws: a size misread by a factor of 1024 is worse than an error.
 */
export function scaledBytes(node: unknown, defaultUnit: "bytes" | "KiB"): number | null {
  const text = textOf(node);
  if (text === undefined || text.trim() === "") return null;
  const unit = (attr(node, "unit") ?? defaultUnit).toLowerCase();
  const scale = UNIT_BYTES[unit];
  if (scale === undefined) throw new Error(`unknown size unit "${unit}"`);
  return Number(text) * scale;
}

/**
 * Sizes as people type them: "2048", "2 GiB", "1.5G", "512 MiB". A bare number is in the field's
 * own unit. K/M/G/T and KiB/MiB/GiB/TiB are binary, as in libvirt; KB/MB/GB/TB are decimal, also as
 * in libvirt. Pure, shared by the forms that take sizes.
 */
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

export type SizeUnit = "MiB" | "GiB";
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;

export type ParsedSize = { ok: true; bytes: number } | { ok: false; problem: string };

/** A size in bytes, or what is wrong with the text in words (without the field's name). */
export function parseSize(text: string, defaultUnit: SizeUnit): ParsedSize {
  const m = /^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return { ok: false, problem: text.trim() === "" ? "is required" : `must be a number with an optional unit, such as 2 GiB or 512 MiB` };
  const unit = m[2] ? UNITS[m[2].toLowerCase()] : defaultUnit === "MiB" ? MiB : GiB;
  if (unit === undefined) return { ok: false, problem: `has an unknown unit "${m[2]}": use MiB, GiB or TiB` };
  const bytes = Number(m[1]!.replace(",", ".")) * unit;
  if (!Number.isFinite(bytes)) return { ok: false, problem: "is too large" };
  return { ok: true, bytes };
}

/**
 * Memory in whole MiB, which is what the API takes: a size with a fraction of a MiB is rounded up,
 * and `note` says so, so the form can show it before the VM is made.
 */
export function memoryMiB(bytes: number): { mib: number; note: string | null } {
  const mib = Math.ceil(bytes / MiB - 1e-9);
  return { mib, note: Math.abs(mib * MiB - bytes) > 0.5 ? `Rounded up to ${mib.toLocaleString("en")} MiB: memory is given in whole MiB.` : null };
}

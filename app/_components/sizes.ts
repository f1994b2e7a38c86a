/**
 * Sizes as people type them: "2048", "2 GiB", "1.5G", "512 MiB". A bare number is in the field's
 * own unit. K/M/G/T and KiB/MiB/GiB/TiB are binary, as in libvirt; KB/MB/GB/TB are decimal, also as
 * in libvirt. Pure, shared by the forms that take sizes; what is wrong comes back as a key of the
 * "errors" catalog (errors.size.*), worded with the field's label by `sizeProblemWords`.
 */
import type { ErrorsT } from "@/server/api/error-words";

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

/** What is wrong with a size's text: a key of errors.size, and the unit nobody knows. */
export type SizeIssue = { key: "required" | "notASize" | "tooLarge" } | { key: "unknownUnit"; unit: string };

export type ParsedSize = { ok: true; bytes: number } | { ok: false; issue: SizeIssue };

/** A size in bytes, or what is wrong with the text (`sizeProblemWords` words it). */
export function parseSize(text: string, defaultUnit: SizeUnit): ParsedSize {
  const m = /^\s*(\d+(?:[.,]\d+)?|[.,]\d+)\s*([A-Za-z]*)\s*$/.exec(text);
  if (!m) return { ok: false, issue: { key: text.trim() === "" ? "required" : "notASize" } };
  const unit = m[2] ? UNITS[m[2].toLowerCase()] : defaultUnit === "MiB" ? MiB : GiB;
  if (unit === undefined) return { ok: false, issue: { key: "unknownUnit", unit: m[2]! } };
  const bytes = Number(m[1]!.replace(",", ".")) * unit;
  if (!Number.isFinite(bytes)) return { ok: false, issue: { key: "tooLarge" } };
  return { ok: true, bytes };
}

/**
 * A size's problem as a sentence naming the field: "Memory is required." `t` is the "errors"
 * namespace's translator (useTranslations("errors")), `label` the field's label in the same language.
 */
export function sizeProblemWords(t: ErrorsT, label: string, issue: SizeIssue): string {
  return issue.key === "unknownUnit" ? t("size.unknownUnit", { label, unit: issue.unit }) : t(`size.${issue.key}`, { label });
}

/**
 * Memory in whole MiB, which is what the API takes: a size with a fraction of a MiB is rounded up,
 * and `roundedUp` says so, so the form can show `roundingNote` before the VM is made.
 */
export function memoryMiB(bytes: number): { mib: number; roundedUp: boolean } {
  const mib = Math.ceil(bytes / MiB - 1e-9);
  return { mib, roundedUp: Math.abs(mib * MiB - bytes) > 0.5 };
}

/** The note under a memory field whose size was rounded up to whole MiB, or null; `t` as in `sizeProblemWords`. */
export function roundingNote(t: ErrorsT, bytes: number): string | null {
  const { mib, roundedUp } = memoryMiB(bytes);
  return roundedUp ? t("size.roundedUp", { mib }) : null;
}

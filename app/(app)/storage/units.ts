/** Sizes in forms are GiB (decimals allowed); the API takes whole bytes. */
export const GiB = 1024 ** 3;

export function gibToBytes(gib: number): number {
  return Math.round(gib * GiB);
}

/** A byte count as GiB for an input's value: at most three decimals, no trailing zeros. */
export function bytesToGibText(bytes: number): string {
  return String(Math.round((bytes / GiB) * 1000) / 1000);
}

/** Parses a GiB field; null when it is not a positive number. */
export function parseGib(text: string): number | null {
  const value = Number(text.trim().replace(",", "."));
  return text.trim() !== "" && Number.isFinite(value) && value > 0 ? value : null;
}

import { MAX_BANDWIDTH_MIBPS, migrationOptionsSchema, type MigrationOptions } from "@/server/migration/contract";

/** What the dialog lets the user choose besides the destination. */
export type MigrationChoices = Omit<MigrationOptions, "destHostId">;

/** The contract's defaults: live, the definition moved to the destination and taken off the source. */
export const DEFAULT_CHOICES: MigrationChoices = migrationOptionsSchema.omit({ destHostId: true }).parse({});

/** The bandwidth field's text as MiB/s: empty is "no limit"; anything but a whole number in range is refused before asking the server. */
export function parseBandwidth(text: string): { value: number | null; ok: boolean } {
  if (text.trim() === "") return { value: null, ok: true };
  const value = Number(text);
  return { value, ok: Number.isInteger(value) && value >= 1 && value <= MAX_BANDWIDTH_MIBPS };
}

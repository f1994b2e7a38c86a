/**
 * How long the metrics history keeps each resolution. Stored in the `settings` table under
 * RETENTION_KEY as JSON and validated with the same schema on every read and write, so a hand-edited
 * row cannot make the clean-up delete everything or nothing.
 */
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import { settings } from "@/server/db/schema";

export const RETENTION_KEY = "metrics.retention";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Bounds: raw samples at least 2 h, because the 1-h rollup reads them once their hour is complete;
 * each coarser resolution at least as long as the finer one, so a range never falls in a hole
 * between them; at most 7 d raw (≈ 120 M rows at 1,000 VMs), 90 d of 1-min and 10 years of 1-h.
 */
export const retentionSchema = z
  .object({
    rawHours: z.number().int().min(2).max(168),
    minuteDays: z.number().int().min(1).max(90),
    hourDays: z.number().int().min(7).max(3650),
  })
  .refine((r) => r.minuteDays * 24 >= r.rawHours, { message: "1-minute history must be kept at least as long as raw samples", path: ["minuteDays"] })
  .refine((r) => r.hourDays >= r.minuteDays, { message: "1-hour history must be kept at least as long as 1-minute history", path: ["hourDays"] });

export type Retention = z.infer<typeof retentionSchema>;

export const DEFAULT_RETENTION: Retention = { rawHours: 24, minuteDays: 7, hourDays: 90 };

/** The retention windows in milliseconds. */
export function retentionMs(r: Retention): { raw: number; minute: number; hour: number } {
  return { raw: r.rawHours * HOUR, minute: r.minuteDays * DAY, hour: r.hourDays * DAY };
}

/** The stored retention, or the defaults when none is stored or the stored one is no longer valid. */
export function readRetention(db: Db): Retention {
  const row = db.select().from(settings).where(eq(settings.key, RETENTION_KEY)).get();
  if (!row) return DEFAULT_RETENTION;
  let stored: unknown;
  try {
    stored = JSON.parse(row.value);
  } catch {
    return DEFAULT_RETENTION;
  }
  const parsed = retentionSchema.safeParse(stored);
  return parsed.success ? parsed.data : DEFAULT_RETENTION;
}

export function writeRetention(db: Db, retention: Retention, now: Date = new Date()): Retention {
  const valid = retentionSchema.parse(retention);
  const value = JSON.stringify(valid);
  db.insert(settings)
    .values({ key: RETENTION_KEY, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } })
    .run();
  return valid;
}

import { z } from "zod";
import { NAME_PATTERN, nameSchema } from "../identifiers";

/**
 * The actions a schedule can take and their options: client-safe (zod only), so the form checks
 * what the server checks. How each action acts is in actions.ts.
 */
export const SCHEDULE_ACTION_NAMES = ["start", "shutdown", "reboot", "snapshot", "backup"] as const;
export type ScheduleActionName = (typeof SCHEDULE_ACTION_NAMES)[number];

export const NO_OPTIONS = z.object({}).strict();

export const SHUTDOWN_DEFAULTS = { timeoutSeconds: 120, forceOff: true } as const;
export const shutdownOptionsSchema = z
  .object({
    /** How long the guest gets after the ACPI power button before it is forced off (or the run fails). */
    timeoutSeconds: z.number().int().min(10).max(3600).default(SHUTDOWN_DEFAULTS.timeoutSeconds),
    forceOff: z.boolean().default(SHUTDOWN_DEFAULTS.forceOff),
  })
  .strict();

/** Tokens of a snapshot name pattern, read in the schedule's time zone. */
const NAME_TOKENS = ["{schedule}", "{yyyy}", "{MM}", "{dd}", "{HH}", "{mm}", "{ss}"] as const;
export const DEFAULT_SNAPSHOT_PATTERN = "{schedule}-{yyyy}{MM}{dd}-{HH}{mm}";

/** The snapshot name the pattern makes for a fire time, in the schedule's time zone. */
export function snapshotNameFor(pattern: string, scheduleName: string, at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  const values: Record<(typeof NAME_TOKENS)[number], string> = {
    "{schedule}": scheduleName,
    "{yyyy}": parts.year ?? "",
    "{MM}": parts.month ?? "",
    "{dd}": parts.day ?? "",
    "{HH}": parts.hour ?? "",
    "{mm}": parts.minute ?? "",
    "{ss}": parts.second ?? "",
  };
  return NAME_TOKENS.reduce((name, token) => name.split(token).join(values[token]), pattern);
}

export const snapshotOptionsSchema = z
  .object({
    /** With the running VM's memory (a task, as the Snapshots tab's); a shut-off VM's snapshot is of its disks either way. */
    memory: z.boolean().default(false),
    /** The name, made at each run; `{schedule}` and the time tokens are replaced (see NAME_TOKENS). */
    namePattern: z.string().min(1).max(64).default(DEFAULT_SNAPSHOT_PATTERN),
    /** Keep this schedule's newest N snapshots of each VM; older ones it took are deleted. */
    keepLast: z.number().int().min(1).max(100).default(7),
  })
  .strict()
  .refine((o) => NAME_PATTERN.test(snapshotNameFor(o.namePattern, "schedule", new Date(0), "UTC")), {
    message: "the name pattern must make a snapshot name: letters, digits, dots, dashes, underscores and the {…} tokens",
    path: ["namePattern"],
  });

export type ShutdownOptions = z.infer<typeof shutdownOptionsSchema>;
export type SnapshotOptions = z.infer<typeof snapshotOptionsSchema>;

export const BACKUP_SCHEDULE_DEFAULTS = { pool: null, keepLast: 7, daily: 0, weekly: 0, monthly: 0 } as const;
/**
 * A scheduled backup (server/backups/): the target pool, and which of the backups THIS schedule made
 * of a VM to keep — the newest `keepLast`, plus the newest of each of the last `daily` days, `weekly`
 * weeks and `monthly` months (server/backups/retention.ts). A kept incremental keeps its parents.
 */
export const backupOptionsSchema = z
  .object({
    /** A backup-target pool; null: the VM's host's only one. */
    pool: nameSchema.nullable().default(BACKUP_SCHEDULE_DEFAULTS.pool),
    keepLast: z.number().int().min(1).max(100).default(BACKUP_SCHEDULE_DEFAULTS.keepLast),
    daily: z.number().int().min(0).max(366).default(BACKUP_SCHEDULE_DEFAULTS.daily),
    weekly: z.number().int().min(0).max(104).default(BACKUP_SCHEDULE_DEFAULTS.weekly),
    monthly: z.number().int().min(0).max(120).default(BACKUP_SCHEDULE_DEFAULTS.monthly),
  })
  .strict();
export type BackupScheduleOptions = z.infer<typeof backupOptionsSchema>;

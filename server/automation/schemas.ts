import { z } from "zod";
import { hostIdSchema, nameSchema, TAG_PATTERN } from "../identifiers";
import {
  BACKUP_SCHEDULE_DEFAULTS,
  backupOptionsSchema,
  NO_OPTIONS,
  SHUTDOWN_DEFAULTS,
  DEFAULT_SNAPSHOT_PATTERN,
  shutdownOptionsSchema,
  snapshotOptionsSchema,
} from "./options";

/** Schedules' API input: client-safe (zod only). Cron and time zone are checked by the service with croner (cron.ts). */

export const scheduleTargetSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("vm"), hostId: hostIdSchema, uuid: z.uuid() }),
  /** Every VM with the tag, on every host or on one. */
  z.object({
    kind: z.literal("tag"),
    tag: z.string().regex(TAG_PATTERN, "a tag: letters, digits, dots, dashes, underscores"),
    hostId: hostIdSchema.nullable().default(null),
  }),
  z.object({ kind: z.literal("host"), hostId: hostIdSchema }),
]);
export type ScheduleTarget = z.infer<typeof scheduleTargetSchema>;

export const MISSED_POLICIES = ["skip", "runOnce"] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

const base = z.object({
  name: nameSchema,
  target: scheduleTargetSchema,
  cron: z.string().max(200),
  timeZone: z.string().min(1).max(64),
  missedPolicy: z.enum(MISSED_POLICIES).default("skip"),
  enabled: z.boolean().default(true),
});

export const scheduleInputSchema = z.discriminatedUnion("action", [
  base.extend({ action: z.literal("start"), options: NO_OPTIONS.default({}) }),
  base.extend({ action: z.literal("shutdown"), options: shutdownOptionsSchema.default({ ...SHUTDOWN_DEFAULTS }) }),
  base.extend({ action: z.literal("reboot"), options: NO_OPTIONS.default({}) }),
  base.extend({ action: z.literal("snapshot"), options: snapshotOptionsSchema.default({ memory: false, namePattern: DEFAULT_SNAPSHOT_PATTERN, keepLast: 7 }) }),
  base.extend({ action: z.literal("backup"), options: backupOptionsSchema.default({ ...BACKUP_SCHEDULE_DEFAULTS }) }),
]);
export type ScheduleInput = z.infer<typeof scheduleInputSchema>;

export const scheduleIdSchema = z.number().int().positive();

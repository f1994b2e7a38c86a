import { asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "../db/client";
import { grants, scheduleRuns, schedules, settings, users } from "../db/schema";
import type { SessionUser } from "../users/service";
import { roleHas } from "../auth/permissions";
import { userCoversHost } from "../hosts/scope";
import { resolveHost } from "../hosts/connection";
import { getHost } from "../hosts/service";
import { resolveVm } from "../domains/lookup";
import { ServiceError } from "../errors";
import { auditTargets } from "../audit/targets";
import { cronProblem, isTimeZone, nextFires, type CronProblem } from "./cron";
import { SCHEDULE_ACTIONS } from "./actions";
import type { ScheduleActionName } from "./options";
import type { MissedPolicy, ScheduleInput, ScheduleTarget } from "./schemas";

/** A schedule as the API answers it. */
export interface Schedule {
  id: number;
  name: string;
  target: ScheduleTarget & { vmName?: string | null };
  action: ScheduleActionName;
  options: Record<string, unknown>;
  cron: string;
  timeZone: string;
  missedPolicy: MissedPolicy;
  enabled: boolean;
  createdByName: string;
  /** ISO 8601, as every time the API answers. */
  createdAt: string;
  updatedAt: string;
  firedThrough: string;
}

export type ScheduleRow = typeof schedules.$inferSelect;

/** `schedule "nightly"`: the prefix of every error about a schedule, and its audit target. */
export const scheduleContext = auditTargets.schedule;

export function toSchedule(row: ScheduleRow): Schedule {
  const target: Schedule["target"] =
    row.targetKind === "vm"
      ? { kind: "vm", hostId: row.hostId!, uuid: row.vmUuid!, vmName: row.vmName }
      : row.targetKind === "tag"
        ? { kind: "tag", tag: row.tag!, hostId: row.hostId }
        : { kind: "host", hostId: row.hostId! };
  return {
    id: row.id,
    name: row.name,
    target,
    action: row.action,
    options: JSON.parse(row.options) as Record<string, unknown>,
    cron: row.cron,
    timeZone: row.timeZone,
    missedPolicy: row.missedPolicy,
    enabled: row.enabled,
    createdByName: row.createdByName,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    firedThrough: row.firedThrough.toISOString(),
  };
}

/**
 * Whether the user may act on the schedule's target: one VM they may see (by their grants), a whole
 * host their grants cover, or a tag their grants name (or a host they cover, for a tag narrowed to
 * it). Admins and users without grants may act on every target. Answers the VM's name for a VM.
 */
export async function assertTargetAllowed(db: Db, user: SessionUser, target: ScheduleTarget): Promise<{ vmName: string | null }> {
  if (target.hostId) getHost(db, target.hostId);
  switch (target.kind) {
    case "vm": {
      const vm = await resolveVm(resolveHost(db, target.hostId), user, target.uuid);
      return { vmName: vm.name };
    }
    case "host":
      if (!userCoversHost(user, target.hostId)) throw new ServiceError(`host "${target.hostId}": your grants cover only some of its VMs`, "forbidden");
      return { vmName: null };
    case "tag": {
      const covered =
        user.role === "admin" ||
        user.grants.length === 0 ||
        user.grants.some((g) => g.kind === "tag" && g.value === target.tag) ||
        (target.hostId !== null && userCoversHost(user, target.hostId));
      if (!covered) throw new ServiceError(`tag "${target.tag}": your grants do not cover the VMs with this tag`, "forbidden");
      return { vmName: null };
    }
  }
}

async function visibleTo(db: Db, user: SessionUser, schedule: Schedule): Promise<boolean> {
  if (user.role === "admin" || user.grants.length === 0) return true;
  try {
    await assertTargetAllowed(db, user, schedule.target);
    return true;
  } catch {
    return false;
  }
}

/** The schedules whose targets the user may act on, by name. */
export async function listSchedules(db: Db, user: SessionUser): Promise<Schedule[]> {
  const all = db.select().from(schedules).orderBy(asc(schedules.name)).all().map(toSchedule);
  const seen = await Promise.all(all.map((s) => visibleTo(db, user, s)));
  return all.filter((_, i) => seen[i]);
}

/** One schedule the user may see; an unseen one answers as missing. */
export async function getSchedule(db: Db, user: SessionUser, id: number): Promise<Schedule> {
  const row = db.select().from(schedules).where(eq(schedules.id, id)).get();
  const schedule = row ? toSchedule(row) : null;
  if (!schedule || !(await visibleTo(db, user, schedule))) throw new ServiceError(`${auditTargets.scheduleById(id)}: not found`, "not_found");
  return schedule;
}

/** The cron expression and time zone checked, or a ServiceError about the field (the page words the problem from `previewCron`). */
function assertTiming(name: string, cron: string, timeZone: string): void {
  if (!isTimeZone(timeZone))
    throw new ServiceError(`${scheduleContext(name)}: "${timeZone}" is not a time zone (an IANA name such as Europe/Berlin)`, "invalid", { field: "timeZone" });
  const problem = cronProblem(cron, timeZone);
  if (problem) throw new ServiceError(`${scheduleContext(name)}: the cron expression "${cron}" ${describeCronProblem(problem)}`, "invalid", { field: "cron" });
}

/** English words for a cron problem (API messages and logs); the pages use the catalogs. */
export function describeCronProblem(problem: CronProblem): string {
  switch (problem.code) {
    case "empty":
      return "is empty";
    case "fieldCount":
      return `has ${problem.count} fields; it needs five: minute, hour, day of month, month, day of week`;
    case "badField":
      return `has a ${problem.field} field "${problem.value}" that is not valid there`;
    case "invalid":
      return "cannot be read";
    case "never":
      return "names no time that will come";
  }
}

function assertActionAllowed(user: SessionUser, action: ScheduleActionName): void {
  const needs = SCHEDULE_ACTIONS[action].permission;
  if (!roleHas(user.role, needs)) throw new ServiceError(`Your role (${user.role}) may not schedule "${action}": it needs ${needs}.`, "forbidden");
}

function rowValues(input: ScheduleInput, vmName: string | null) {
  const t = input.target;
  return {
    name: input.name,
    targetKind: t.kind,
    hostId: t.hostId,
    vmUuid: t.kind === "vm" ? t.uuid.toLowerCase() : null,
    vmName,
    tag: t.kind === "tag" ? t.tag : null,
    action: input.action,
    options: JSON.stringify(input.options),
    cron: input.cron.trim().split(/\s+/).join(" "),
    timeZone: input.timeZone,
    missedPolicy: input.missedPolicy,
    enabled: input.enabled,
  };
}

function assertNameFree(db: Db, name: string, exceptId: number | null): void {
  const clash = db.select({ id: schedules.id }).from(schedules).where(eq(schedules.name, name)).get();
  if (clash && clash.id !== exceptId) throw new ServiceError(`${scheduleContext(name)}: a schedule of this name exists`, "conflict", { field: "name" });
}

/**
 * A new schedule, run with its creator's rights: the creator must be allowed the action and the
 * target now, and is checked again at every run. Fires before now are not "missed".
 */
export async function createSchedule(db: Db, user: SessionUser, input: ScheduleInput, now: Date): Promise<Schedule> {
  assertActionAllowed(user, input.action);
  assertTiming(input.name, input.cron, input.timeZone);
  const { vmName } = await assertTargetAllowed(db, user, input.target);
  assertNameFree(db, input.name, null);
  const row = db
    .insert(schedules)
    .values({ ...rowValues(input, vmName), createdBy: user.id, createdByName: user.username, createdAt: now, updatedAt: now, firedThrough: now })
    .returning()
    .get();
  return toSchedule(row);
}

/** Replaces a schedule's definition; the editor becomes the user whose rights its runs use. */
export async function updateSchedule(db: Db, user: SessionUser, id: number, input: ScheduleInput, now: Date): Promise<Schedule> {
  const before = await getSchedule(db, user, id);
  assertActionAllowed(user, input.action);
  assertTiming(input.name, input.cron, input.timeZone);
  const { vmName } = await assertTargetAllowed(db, user, input.target);
  assertNameFree(db, input.name, id);
  const timingChanged = before.cron !== rowValues(input, vmName).cron || before.timeZone !== input.timeZone || (!before.enabled && input.enabled);
  const row = db
    .update(schedules)
    .set({
      ...rowValues(input, vmName),
      createdBy: user.id,
      createdByName: user.username,
      updatedAt: now,
      // A new timing (or a schedule enabled again) starts counting from now: earlier fires are not "missed".
      ...(timingChanged ? { firedThrough: now } : {}),
    })
    .where(eq(schedules.id, id))
    .returning()
    .get();
  return toSchedule(row!);
}

/** Deletes a schedule with its run history; the snapshots it took stay (no longer counted by any retention). */
export async function deleteSchedule(db: Db, user: SessionUser, id: number): Promise<Schedule> {
  const schedule = await getSchedule(db, user, id);
  db.delete(schedules).where(eq(schedules.id, id)).run();
  return schedule;
}

/** The next five fire times, or the problem with the expression or time zone. */
export function previewCron(cron: string, timeZone: string, now: Date): { problem: CronProblem | null; timeZoneValid: boolean; next: string[] } {
  if (!isTimeZone(timeZone)) return { problem: null, timeZoneValid: false, next: [] };
  const problem = cronProblem(cron, timeZone);
  return { problem, timeZoneValid: true, next: problem ? [] : nextFires(cron, timeZone, now, 5).map((d) => d.toISOString()) };
}

export interface RunOutcome {
  hostId: string;
  uuid: string;
  name: string;
  ok: boolean;
  message: string;
}

export interface ScheduleRun {
  id: number;
  scheduleId: number;
  trigger: "cron" | "manual" | "catchUp";
  /** ISO 8601 times. */
  firedFor: string | null;
  startedAt: string;
  endedAt: string | null;
  result: "running" | "ok" | "failed" | "skipped";
  outcomes: RunOutcome[];
  error: string | null;
  byUser: string | null;
}

const outcomesSchema = z.array(z.object({ hostId: z.string(), uuid: z.string(), name: z.string(), ok: z.boolean(), message: z.string() }));

export function toRun(row: typeof scheduleRuns.$inferSelect): ScheduleRun {
  const parsed = outcomesSchema.safeParse(JSON.parse(row.outcomes));
  return {
    ...row,
    firedFor: row.firedFor?.toISOString() ?? null,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    outcomes: parsed.success ? parsed.data : [],
  };
}

/** The schedule's newest runs first. */
export async function listRuns(db: Db, user: SessionUser, id: number, limit: number): Promise<ScheduleRun[]> {
  await getSchedule(db, user, id);
  return db
    .select()
    .from(scheduleRuns)
    .where(eq(scheduleRuns.scheduleId, id))
    .orderBy(desc(scheduleRuns.startedAt), desc(scheduleRuns.id))
    .limit(limit)
    .all()
    .map(toRun);
}

/** Each schedule's latest run (for the list's "last result"). */
export function latestRuns(db: Db, ids: number[]): Map<number, ScheduleRun> {
  if (ids.length === 0) return new Map();
  const rows = db
    .select()
    .from(scheduleRuns)
    .where(sql`${scheduleRuns.id} in (select max(id) from ${scheduleRuns} group by ${scheduleRuns.scheduleId})`)
    .all();
  return new Map(rows.map((r) => [r.scheduleId, toRun(r)]));
}

/** The schedules that cover one VM: by its UUID, its host, or one of its tags (narrowed like the list). */
export async function schedulesForVm(db: Db, user: SessionUser, hostId: string, uuid: string, tags: readonly string[]): Promise<Schedule[]> {
  const mine = (await listSchedules(db, user)).filter((s) => {
    const t = s.target;
    if (t.kind === "vm") return t.hostId === hostId && t.uuid === uuid.toLowerCase();
    if (t.kind === "host") return t.hostId === hostId;
    return tags.includes(t.tag) && (t.hostId === null || t.hostId === hostId);
  });
  return mine;
}

/**
 * The schedule's creator as a run sees them: their role and grants now, or a reason they may no
 * longer act (account gone or disabled, role without schedule.manage or the action's permission).
 */
export function loadCreator(db: Db, schedule: ScheduleRow): SessionUser | string {
  const who = `its creator "${schedule.createdByName}"`;
  const row = schedule.createdBy === null ? undefined : db.select().from(users).where(eq(users.id, schedule.createdBy)).get();
  if (!row) return `${who} no longer exists`;
  if (row.disabled) return `${who} is disabled`;
  if (!roleHas(row.role, "schedule.manage")) return `${who} (role ${row.role}) may no longer manage schedules`;
  const needs = SCHEDULE_ACTIONS[schedule.action].permission;
  if (!roleHas(row.role, needs)) return `${who} (role ${row.role}) may no longer do this: it needs ${needs}`;
  const userGrants = db.select({ kind: grants.kind, value: grants.value }).from(grants).where(eq(grants.userId, row.id)).orderBy(asc(grants.id)).all();
  return { id: row.id, username: row.username, role: row.role, grants: userGrants, locale: row.locale, sessionId: "" };
}

/** Per-host limit of VMs a schedule acts on at once, across all schedules (the `schedules.hostConcurrency` setting). */
export const HOST_CONCURRENCY_KEY = "schedules.hostConcurrency";
export const DEFAULT_HOST_CONCURRENCY = 2;
export const hostConcurrencySchema = z.number().int().min(1).max(16);

export function readHostConcurrency(db: Db): number {
  const row = db.select().from(settings).where(eq(settings.key, HOST_CONCURRENCY_KEY)).get();
  if (!row) return DEFAULT_HOST_CONCURRENCY;
  try {
    const parsed = hostConcurrencySchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : DEFAULT_HOST_CONCURRENCY;
  } catch {
    return DEFAULT_HOST_CONCURRENCY;
  }
}

export function writeHostConcurrency(db: Db, limit: number, now: Date): number {
  const value = JSON.stringify(hostConcurrencySchema.parse(limit));
  db.insert(settings)
    .values({ key: HOST_CONCURRENCY_KEY, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } })
    .run();
  return limit;
}

export function scheduleRowById(db: Db, id: number): ScheduleRow | null {
  return db.select().from(schedules).where(eq(schedules.id, id)).get() ?? null;
}

export function enabledScheduleRows(db: Db): ScheduleRow[] {
  return db.select().from(schedules).where(eq(schedules.enabled, true)).all();
}

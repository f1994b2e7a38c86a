import { z } from "zod";
import { procedure, router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import { tagsOf } from "@/server/domains/tags";
import { uuidToString } from "@/server/libvirt";
import { scheduleEngine } from "@/server/automation/engine";
import { nextFire } from "@/server/automation/cron";
import { scheduleIdSchema, scheduleInputSchema } from "@/server/automation/schemas";
import { scheduleCoversHost } from "@/server/automation/host-filter";
import { hostIdSchema } from "@/server/identifiers";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  hostConcurrencySchema,
  HOST_CONCURRENCY_KEY,
  latestRuns,
  listRuns,
  listSchedules,
  previewCron,
  readHostConcurrency,
  schedulesForVm,
  updateSchedule,
  writeHostConcurrency,
  type Schedule,
} from "@/server/automation/service";

function nextRunOf(schedule: Schedule, now: Date): string | null {
  if (!schedule.enabled) return null;
  try {
    return nextFire(schedule.cron, schedule.timeZone, now)?.toISOString() ?? null;
  } catch {
    return null;
  }
}

/**
 * Schedules (server/automation/): reads need schedule.read and are narrowed to targets the user
 * may act on; changes and "run now" need schedule.manage and are audited against the schedule.
 * The engine re-plans a schedule after each change.
 */
export const schedulesRouter = router({
  /** With `hostId` (the page's host filter) only the schedules that act on that host, tag schedules on every host among them. */
  list: procedure("schedule.read")
    .input(z.object({ hostId: hostIdSchema.optional() }).optional())
    .query(async ({ ctx, input }) => {
      const now = new Date();
      const hostId = input?.hostId;
      const list = (await listSchedules(ctx.db, ctx.user)).filter((s) => hostId === undefined || scheduleCoversHost(s.target, hostId));
      const last = latestRuns(
        ctx.db,
        list.map((s) => s.id),
      );
      return list.map((s) => ({ ...s, nextRun: nextRunOf(s, now), lastRun: last.get(s.id) ?? null }));
    }),

  get: procedure("schedule.read")
    .input(z.object({ id: scheduleIdSchema }))
    .query(({ ctx, input }) => getSchedule(ctx.db, ctx.user, input.id)),

  runs: procedure("schedule.read")
    .input(z.object({ id: scheduleIdSchema, limit: z.number().int().min(1).max(200).default(20) }))
    .query(({ ctx, input }) => listRuns(ctx.db, ctx.user, input.id, input.limit)),

  /** The next five fire times of an expression in a time zone, or what is wrong with it (a code the page words). */
  preview: procedure("schedule.read")
    .input(z.object({ cron: z.string().max(200), timeZone: z.string().max(64) }))
    .query(({ input }) => previewCron(input.cron, input.timeZone, new Date())),

  /** The schedules that cover one VM (its overview's "Schedules" line). */
  forVm: vmProcedure("schedule.read").query(async ({ ctx }) => {
    const tags = await tagsOf(ctx.vm.hostId, ctx.vm.conn, ctx.vm.dom).catch((): string[] => []);
    const now = new Date();
    return (await schedulesForVm(ctx.db, ctx.user, ctx.vm.hostId, uuidToString(ctx.vm.dom.uuid), tags)).map((s) => ({
      id: s.id,
      name: s.name,
      action: s.action,
      nextRun: nextRunOf(s, now),
    }));
  }),

  hostConcurrency: procedure("schedule.read").query(({ ctx }) => readHostConcurrency(ctx.db)),

  create: procedure("schedule.manage")
    .input(scheduleInputSchema)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.schedule(input.name);
      const schedule = await createSchedule(ctx.db, ctx.user, input, new Date());
      scheduleEngine(ctx.db).refresh(schedule.id);
      return schedule;
    }),

  update: procedure("schedule.manage")
    .input(z.object({ id: scheduleIdSchema, schedule: scheduleInputSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.scheduleById(input.id);
      const before = await getSchedule(ctx.db, ctx.user, input.id);
      ctx.audit.target = auditTargets.schedule(before.name);
      const schedule = await updateSchedule(ctx.db, ctx.user, input.id, input.schedule, new Date());
      scheduleEngine(ctx.db).refresh(schedule.id);
      return schedule;
    }),

  delete: procedure("schedule.manage")
    .input(z.object({ id: scheduleIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.scheduleById(input.id);
      const schedule = await deleteSchedule(ctx.db, ctx.user, input.id);
      ctx.audit.target = auditTargets.schedule(schedule.name);
      scheduleEngine(ctx.db).refresh(input.id);
      return { id: schedule.id };
    }),

  /** Starts a run at once and answers its id; the run goes on in the background (its row says how it ended). */
  runNow: procedure("schedule.manage")
    .input(z.object({ id: scheduleIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.scheduleById(input.id);
      const schedule = await getSchedule(ctx.db, ctx.user, input.id);
      ctx.audit.target = auditTargets.schedule(schedule.name);
      return { runId: scheduleEngine(ctx.db).runNow(schedule.id, ctx.user.username).runId };
    }),

  setHostConcurrency: procedure("settings.manage")
    .input(z.object({ limit: hostConcurrencySchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.setting(HOST_CONCURRENCY_KEY);
      return writeHostConcurrency(ctx.db, input.limit, new Date());
    }),
});

import { z } from "zod";
import { procedure, router } from "../trpc";
import { hostIdSchema } from "@/server/identifiers";
import { ServiceError } from "@/server/errors";
import { auditTargets } from "@/server/audit/targets";
import { TASK_KINDS, TASK_STATES } from "@/server/tasks/kinds";
import { getTask, listTasks } from "@/server/tasks/store";
import { taskRunner } from "@/server/tasks/runner";
import { cancelTask, hostUris } from "@/server/tasks/service";

const taskIdSchema = z.string().regex(/^[0-9a-f]{24}$/, "a task id is 24 hex digits");

/**
 * Tasks (server/tasks/): long operations with progress, cancel and log. Reads are narrowed like
 * VMs; a cancel needs task.cancel for one's own task and task.cancelAny for anyone's, and is
 * audited against the task's target.
 */
export const tasksRouter = router({
  list: procedure("task.read")
    .input(
      z.object({
        state: z.enum(TASK_STATES).optional(),
        kind: z.enum(TASK_KINDS).optional(),
        vm: z.object({ hostId: hostIdSchema, uuid: z.uuid() }).optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    // taskRunner() first: an earlier process's running rows are marked interrupted before anything is read.
    .query(({ ctx, input }) => listTasks(taskRunner(ctx.db).db, ctx.user, input, hostUris(ctx.db))),

  get: procedure("task.read")
    .input(z.object({ id: taskIdSchema }))
    .query(async ({ ctx, input }) => {
      const task = await getTask(taskRunner(ctx.db).db, ctx.user, input.id, hostUris(ctx.db));
      if (!task) throw new ServiceError(`${auditTargets.task(input.id)}: no such task`, "not_found");
      return task;
    }),

  cancel: procedure("task.cancel")
    .input(z.object({ id: taskIdSchema }))
    .mutation(async ({ ctx, input }) => {
      return cancelTask(taskRunner(ctx.db), ctx.user, input.id, (target) => (ctx.audit.target = target));
    }),
});

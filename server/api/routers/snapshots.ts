import { z } from "zod";
import { router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import { deleteSnapshot, listSnapshots, revertSnapshot, takeSnapshot } from "@/server/snapshots/service";
import { snapshotDescriptionSchema, snapshotNameSchema } from "@/server/snapshots/schemas";

/** Snapshots of one VM: `vmProcedure` resolves the VM; the audit row names the snapshot inside it. */
export const snapshotsRouter = router({
  list: vmProcedure("vm.read").query(({ ctx }) => listSnapshots(ctx.vm)),

  create: vmProcedure("vm.snapshot")
    .input(
      z.object({
        name: snapshotNameSchema,
        description: snapshotDescriptionSchema.optional(),
        /** With the running VM's memory (internal, qcow2 only) or disks only. */
        memory: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `snapshot "${input.name}"`);
      return takeSnapshot(ctx.db, ctx.user, ctx.vm, { name: input.name, description: input.description, memory: input.memory });
    }),

  revert: vmProcedure("vm.snapshot")
    .input(z.object({ snapshot: snapshotNameSchema, state: z.enum(["running", "paused"]).optional() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `snapshot "${input.snapshot}"`);
      return revertSnapshot(ctx.vm, input.snapshot, { state: input.state });
    }),

  delete: vmProcedure("vm.snapshot")
    .input(z.object({ snapshot: snapshotNameSchema, children: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `snapshot "${input.snapshot}"`);
      return deleteSnapshot(ctx.vm, input.snapshot, { children: input.children });
    }),
});

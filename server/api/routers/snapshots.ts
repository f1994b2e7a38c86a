import { z } from "zod";
import { router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import { taskRunner } from "@/server/tasks/runner";
import { uuidToString } from "@/server/libvirt";
import { createSnapshot, deleteSnapshot, listSnapshots, revertSnapshot } from "@/server/snapshots/service";
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
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `snapshot "${input.name}"`);
      const spec = { name: input.name, description: input.description, memory: input.memory };
      // Only a snapshot with memory is long (QEMU writes all of the guest's RAM); a disk-only one takes a moment.
      if (!input.memory) return { ...(await createSnapshot(ctx.vm, spec)), taskId: null };
      const { id, done } = taskRunner(ctx.db).run(
        {
          kind: "snapshot.memory",
          target: { hostId: ctx.vm.hostId, kind: "vm", name: ctx.vm.name, uuid: uuidToString(ctx.vm.dom.uuid) },
          user: ctx.user,
          detail: input.name,
        },
        (task) => createSnapshot(ctx.vm, spec, task),
        (snapshot) => ({ snapshot: snapshot.name }),
      );
      return { ...(await done), taskId: id };
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

import { z } from "zod";
import { procedure, router } from "../trpc";
import { vmRefSchema } from "../../domains/lookup";
import { createSnapshot, deleteSnapshot, listSnapshots, revertSnapshot } from "../../snapshots/service";
import { createSnapshotSchema, snapshotRefSchema } from "../../snapshots/schemas";

const target = (input: { hostId: string; uuid: string }, snapshot: string) => `vm ${input.hostId}/${input.uuid}: snapshot "${snapshot}"`;

/** Snapshots of one VM, addressed by (hostId, uuid) and checked against the user's grants. */
export const snapshotsRouter = router({
  list: procedure("vm.read")
    .input(vmRefSchema)
    .query(({ ctx, input }) => listSnapshots(ctx.db, ctx.user, input)),

  create: procedure("vm.snapshot")
    .input(createSnapshotSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = target(input, input.name);
      const { hostId, uuid, ...spec } = input;
      return createSnapshot(ctx.db, ctx.user, { hostId, uuid }, spec);
    }),

  revert: procedure("vm.snapshot")
    .input(snapshotRefSchema.extend({ state: z.enum(["running", "paused"]).optional() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = target(input, input.snapshot);
      return revertSnapshot(ctx.db, ctx.user, { hostId: input.hostId, uuid: input.uuid }, input.snapshot, { state: input.state });
    }),

  delete: procedure("vm.snapshot")
    .input(snapshotRefSchema.extend({ children: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = target(input, input.snapshot);
      return deleteSnapshot(ctx.db, ctx.user, { hostId: input.hostId, uuid: input.uuid }, input.snapshot, { children: input.children });
    }),
});

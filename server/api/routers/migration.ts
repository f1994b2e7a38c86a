import { hostProcedure, router, vmProcedure } from "../trpc";
import { evacuateInputSchema, migrationOptionsSchema } from "@/server/migration/contract";
import { evacuateHost, preflight, startMigration } from "@/server/migration/service";
import { assertCoversHost } from "@/server/hosts/scope";

/**
 * Moving VMs between hosts (server/migration/). Every procedure needs vm.migrate and grants that
 * cover the destination host as well as the VM (or, to evacuate, the source host).
 */
export const migrationRouter = router({
  preflight: vmProcedure("vm.migrate")
    .input(migrationOptionsSchema)
    .query(({ ctx, input }) => preflight(ctx.db, ctx.user, ctx.vm, input)),

  start: vmProcedure("vm.migrate")
    .input(migrationOptionsSchema)
    .mutation(({ ctx, input }) => {
      assertCoversHost(ctx.user, input.destHostId);
      return startMigration(ctx.db, ctx.user, ctx.vm, input);
    }),

  evacuate: hostProcedure("vm.migrate")
    .input(evacuateInputSchema)
    .mutation(({ ctx, input }) => {
      assertCoversHost(ctx.user, input.destHostId);
      return evacuateHost(ctx.db, ctx.user, ctx.host, input.destHostId, input.mode);
    }),
});

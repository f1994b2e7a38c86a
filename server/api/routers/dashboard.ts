import { z } from "zod";
import { procedure, router } from "../trpc";
import { hostIdSchema } from "@/server/identifiers";
import { dashboardSummary } from "@/server/dashboard/summary";

/** The dashboard's own figures; the host facts and usage come from `hosts.info`. */
export const dashboardRouter = router({
  /** VMs by state, agents connected, firing alerts and recent audit rows, each narrowed to what the caller may see (and to one host, given). */
  summary: procedure("vm.read")
    .input(z.object({ hostId: hostIdSchema.optional() }).optional())
    .query(({ ctx, input }) => dashboardSummary(ctx.db, ctx.user, input?.hostId)),
});

import { procedure, router } from "../trpc";
import { dashboardSummary } from "@/server/dashboard/summary";

/** The dashboard's own figures; the host facts and usage come from `hosts.info`. */
export const dashboardRouter = router({
  /** VMs by state, agents connected, firing alerts and recent audit rows, each narrowed to what the caller may see. */
  summary: procedure("vm.read").query(({ ctx }) => dashboardSummary(ctx.db, ctx.user)),
});

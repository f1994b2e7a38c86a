import { z } from "zod";
import { procedure, router } from "../trpc";
import type { Db } from "@/server/db/client";
import { hosts } from "@/server/db/schema";
import { auditTargets } from "@/server/audit/targets";
import { hostIdSchema } from "@/server/identifiers";
import type { SessionUser } from "@/server/users/service";
import { vmVisibleTo } from "@/server/events/visibility";
import { coversHost } from "@/server/auth/permissions";
import { runningGuestHub } from "@/server/guest";
import { INSIGHT_KINDS, INSIGHT_SEVERITIES } from "@/server/insights/kinds";
import { readReport, type StoredInsight } from "@/server/insights/store";
import { recomputeInsights } from "@/server/insights/service";

function hostUri(db: Db) {
  const uris = new Map(
    db
      .select({ id: hosts.id, uri: hosts.uri })
      .from(hosts)
      .all()
      .map((h) => [h.id, h.uri]),
  );
  return (hostId: string) => uris.get(hostId);
}

/** As with alerts: a VM's insights for users who may see the VM, a host's for users whose grants cover the host. */
function maySee(user: SessionUser, insight: StoredInsight, uriOf: (hostId: string) => string | undefined): Promise<boolean> | boolean {
  if (insight.uuid === null || insight.vmName === null) return coversHost(user.role, user.grants, insight.hostId);
  return vmVisibleTo(user, { hostId: insight.hostId, uuid: insight.uuid, name: insight.vmName }, uriOf);
}

/**
 * Insights (server/insights/): reading needs vm.read (every role) and is narrowed to what the caller
 * may see; recomputing now needs insight.recompute (admins), since it reads every host and VM.
 */
export const insightsRouter = router({
  /** The latest computation, or null before the first one (the job runs two minutes after start-up, then daily). */
  list: procedure("vm.read")
    .input(
      z
        .object({
          kind: z.enum(INSIGHT_KINDS).optional(),
          severity: z.enum(INSIGHT_SEVERITIES).optional(),
          hostId: hostIdSchema.optional(),
          uuid: z.uuid().optional(),
        })
        .default({}),
    )
    .query(async ({ ctx, input }) => {
      const report = readReport(ctx.db, input);
      if (!report) return null;
      const uriOf = hostUri(ctx.db);
      const visible = await Promise.all(report.insights.map((i) => maySee(ctx.user, i, uriOf)));
      return {
        ...report,
        insights: report.insights.filter((_, i) => visible[i]),
        failedHosts: report.failedHosts.filter((h) => coversHost(ctx.user.role, ctx.user.grants, h.hostId)),
      };
    }),

  recompute: procedure("insight.recompute").mutation(async ({ ctx }) => {
    ctx.audit.target = auditTargets.insights;
    const report = await recomputeInsights(ctx.db, { hub: runningGuestHub(), trigger: "user" });
    return { at: report.at, insights: report.insights.length };
  }),
});

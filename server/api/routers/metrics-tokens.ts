import { z } from "zod";
import { procedure, router } from "../trpc";
import { nameSchema } from "@/server/identifiers";
import { auditTargets } from "@/server/audit/targets";
import { createMetricsToken, listMetricsTokens, metricsTokenName, revokeMetricsToken } from "@/server/metrics/tokens";

const tokenIdSchema = z.number().int().positive();

/** Bearer tokens for Prometheus scrapers of /metrics; the audit row names the token, never its text. */
export const metricsTokensRouter = router({
  list: procedure("metrics.tokens").query(({ ctx }) => listMetricsTokens(ctx.db)),

  /** Answers the token's text: the only time it is shown (only its hash is kept). */
  create: procedure("metrics.tokens")
    .input(z.object({ name: nameSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.metricsToken(input.name);
      return createMetricsToken(ctx.db, input.name, ctx.user);
    }),

  revoke: procedure("metrics.tokens")
    .input(z.object({ id: tokenIdSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.metricsToken(metricsTokenName(ctx.db, input.id));
      revokeMetricsToken(ctx.db, input.id);
      return { ok: true as const };
    }),
});

import { z } from "zod";
import { procedure, router } from "../trpc";
import { auditActions, listAudit } from "@/server/audit/log";
import { ACTION_FILTER_PATTERN } from "@/server/audit/actions";
import { AUDIT_RESULTS } from "@/server/db/schema";

/** The audit log: host-less, read-only. */
export const auditRouter = router({
  list: procedure("audit.read")
    .input(
      z.object({
        username: z.string().max(64).optional(),
        action: z.string().max(128).regex(ACTION_FILTER_PATTERN, "an action such as vms.power, or an area such as vms.").optional(),
        target: z.string().max(128).optional(),
        result: z.enum(AUDIT_RESULTS).optional(),
        since: z.coerce.date().optional(),
        until: z.coerce.date().optional(),
        beforeId: z.number().int().positive().optional(),
        limit: z.number().int().min(1).max(500).default(100),
      }),
    )
    .query(({ ctx, input }) => listAudit(ctx.db, input)),

  /** The actions the log holds, for the page's choice of action. */
  actions: procedure("audit.read").query(({ ctx }) => auditActions(ctx.db)),
});

import { z } from "zod";
import { hostProcedure, procedure, router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import { history } from "@/server/metrics/history";
import { readRetention, RETENTION_KEY, retentionSchema, writeRetention } from "@/server/metrics/retention";
import { METRIC_KEYS, METRICS, type HostMetricKey, type VmMetricKey } from "@/server/metrics/sample";

const VM_METRICS = METRIC_KEYS.filter((k): k is VmMetricKey => METRICS[k].subject === "vm") as [VmMetricKey, ...VmMetricKey[]];
const HOST_METRICS = METRIC_KEYS.filter((k): k is HostMetricKey => METRICS[k].subject === "host") as [HostMetricKey, ...HostMetricKey[]];

/** The longest range one call reads: the longest 1-hour retention allowed (≈ 87,600 points at most). */
const MAX_RANGE_MS = 3650 * 24 * 3_600_000;

const rangeSchema = z
  .object({ from: z.number().int().min(0), to: z.number().int().min(0) })
  .refine((r) => r.to > r.from, { message: "the range must end after it starts", path: ["to"] })
  .refine((r) => r.to - r.from <= MAX_RANGE_MS, { message: "the range may span at most 3,650 days", path: ["from"] });

/**
 * The metrics history. A VM's history is read like the VM (vm.read, through its grants); a host's
 * own figures (CPU, memory) need host.read. They are two procedures because each builder carries
 * its own subject in the input and resolves it before the query runs.
 */
export const metricsRouter = router({
  history: vmProcedure("vm.read")
    .input(z.object({ metric: z.enum(VM_METRICS), range: rangeSchema }))
    .query(({ ctx, input }) => history(ctx.db, { kind: "vm", hostId: ctx.vm.hostId, uuid: input.uuid }, input.metric, input.range.from, input.range.to)),

  hostHistory: hostProcedure("host.read")
    .input(z.object({ metric: z.enum(HOST_METRICS), range: rangeSchema }))
    .query(({ ctx, input }) => history(ctx.db, { kind: "host", hostId: ctx.host.id }, input.metric, input.range.from, input.range.to)),

  retention: procedure("host.read").query(({ ctx }) => readRetention(ctx.db)),

  setRetention: procedure("settings.manage")
    .input(retentionSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.setting(RETENTION_KEY);
      return writeRetention(ctx.db, input);
    }),
});

/**
 * The alert-rule model: what a rule may watch, where, and when it fires and resolves. Pure and
 * client-safe (the rule editor validates with the same schema the server does).
 */
import { z } from "zod";
import { METRIC_KEYS, METRICS, type MetricKey } from "@/server/metrics/sample";
import { ALERT_COMPARISONS, ALERT_SEVERITIES } from "@/server/alerts/kinds";
import { hostIdSchema, TAG_PATTERN } from "@/server/identifiers";

/**
 * Percentages the collector does not send but a threshold needs: "host memory above 95 %" cannot
 * be a byte count that holds on every host. Each is used / total of the same tick.
 */
export const DERIVED_METRICS = {
  "host.memory.percent": { subject: "host", used: "host.memory.used", total: "host.memory.total" },
  "vm.memory.percent": { subject: "vm", used: "vm.memory.used", total: "vm.memory.total" },
} as const;
export type DerivedMetricKey = keyof typeof DERIVED_METRICS;

/**
 * Events rather than figures: each is true or false for its subject, so comparison and thresholds
 * do not apply; `for` does (agent.lost: how long the agent must have been gone; host.unreachable:
 * how long the host must have failed to answer). vm.crashed fires on the tick after the event.
 */
export const EVENT_KINDS = ["vm.crashed", "agent.lost", "host.unreachable"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const ALERT_METRICS = [...METRIC_KEYS, ...(Object.keys(DERIVED_METRICS) as DerivedMetricKey[]), ...EVENT_KINDS] as const;
export type AlertMetric = MetricKey | DerivedMetricKey | EventKind;

export function isEventKind(metric: string): metric is EventKind {
  return (EVENT_KINDS as readonly string[]).includes(metric);
}

/** Whether a rule on this metric looks at hosts (else at VMs). */
export function subjectOf(metric: AlertMetric): "vm" | "host" {
  if (metric === "host.unreachable") return "host";
  if (isEventKind(metric)) return "vm";
  if (metric in DERIVED_METRICS) return DERIVED_METRICS[metric as DerivedMetricKey].subject;
  return METRICS[metric as MetricKey].subject;
}

export const scopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all") }),
  z.object({ kind: z.literal("host"), hostId: hostIdSchema }),
  z.object({ kind: z.literal("tag"), tag: z.string().regex(TAG_PATTERN, "a tag is 1–32 letters, digits, . _ -") }),
  z.object({ kind: z.literal("vm"), hostId: hostIdSchema, uuid: z.uuid() }),
]);
export type AlertScope = z.infer<typeof scopeSchema>;

const MAX_FOR_MS = 7 * 24 * 3600_000;

/** A rule as the editor sends it. The refinements hold for create and update alike. */
export const ruleInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    metric: z.enum(ALERT_METRICS),
    scope: scopeSchema,
    comparison: z.enum(ALERT_COMPARISONS),
    threshold: z.number().finite(),
    /** Where a firing alert resolves: at or below the threshold for ">", at or above it for "<" (hysteresis). */
    resolveThreshold: z.number().finite(),
    forMs: z.number().int().min(0).max(MAX_FOR_MS),
    severity: z.enum(ALERT_SEVERITIES),
    enabled: z.boolean().default(true),
  })
  .superRefine((rule, ctx) => {
    if (!isEventKind(rule.metric)) {
      const wrongSide = rule.comparison === ">" ? rule.resolveThreshold > rule.threshold : rule.resolveThreshold < rule.threshold;
      if (wrongSide) {
        ctx.addIssue({
          code: "custom",
          path: ["resolveThreshold"],
          message: rule.comparison === ">" ? "the resolve threshold must not be above the threshold" : "the resolve threshold must not be below the threshold",
        });
      }
    }
    if (subjectOf(rule.metric) === "host" && (rule.scope.kind === "tag" || rule.scope.kind === "vm")) {
      ctx.addIssue({ code: "custom", path: ["scope"], message: "a host metric applies to all hosts or to one host, not to a tag or a VM" });
    }
  });
export type RuleInput = z.infer<typeof ruleInputSchema>;

export interface AlertRule extends RuleInput {
  id: number;
}

/** The rules a fresh install starts with, by a key that is never reused (server/alerts/store.ts seeds each once). */
export const DEFAULT_RULES: ReadonlyArray<{ key: string; rule: RuleInput }> = [
  {
    key: "vm-crashed",
    rule: {
      name: "VM crashed",
      metric: "vm.crashed",
      scope: { kind: "all" },
      comparison: ">",
      threshold: 0,
      resolveThreshold: 0,
      forMs: 0,
      severity: "critical",
      enabled: true,
    },
  },
  {
    key: "agent-lost",
    rule: {
      name: "Agent lost for 5 minutes",
      metric: "agent.lost",
      scope: { kind: "all" },
      comparison: ">",
      threshold: 0,
      resolveThreshold: 0,
      forMs: 5 * 60_000,
      severity: "warning",
      enabled: true,
    },
  },
  {
    key: "guest-filesystem-90",
    rule: {
      name: "Guest filesystem above 90 %",
      metric: "vm.guest.filesystem",
      scope: { kind: "all" },
      comparison: ">",
      threshold: 90,
      resolveThreshold: 85,
      forMs: 60_000,
      severity: "warning",
      enabled: true,
    },
  },
  {
    key: "host-memory-95",
    rule: {
      name: "Host memory above 95 %",
      metric: "host.memory.percent",
      scope: { kind: "all" },
      comparison: ">",
      threshold: 95,
      resolveThreshold: 90,
      forMs: 60_000,
      severity: "critical",
      enabled: true,
    },
  },
];

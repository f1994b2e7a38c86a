/**
 * The rule editor's form state and its translation to and from the API's rule: thresholds typed in
 * the metric's unit (MiB for bytes), `for` as a number and a unit, scope as a kind and its value.
 * Pure, so the conversions are tested without a browser.
 */
import type { AlertComparison, AlertSeverity } from "@/server/alerts/kinds";
import { isEventKind, subjectOf, type AlertMetric, type AlertRule, type AlertScope, type RuleInput } from "@/server/alerts/rules";
import { thresholdUnit } from "../alert-words";

export const FOR_UNITS = { seconds: 1000, minutes: 60_000, hours: 3600_000 } as const;
export type ForUnit = keyof typeof FOR_UNITS;

export interface RuleDraft {
  name: string;
  metric: AlertMetric;
  scopeKind: AlertScope["kind"];
  hostId: string;
  tag: string;
  /** `hostId/uuid` of the chosen VM. */
  vm: string;
  comparison: AlertComparison;
  threshold: string;
  resolveThreshold: string;
  forValue: string;
  forUnit: ForUnit;
  severity: AlertSeverity;
  enabled: boolean;
}

export const EMPTY_DRAFT: RuleDraft = {
  name: "",
  metric: "vm.cpu",
  scopeKind: "all",
  hostId: "",
  tag: "",
  vm: "",
  comparison: ">",
  threshold: "90",
  resolveThreshold: "80",
  forValue: "5",
  forUnit: "minutes",
  severity: "warning",
  enabled: true,
};

/** A stored number in the unit the form shows, without float noise (1.5 MiB stays "1.5"). */
function shown(value: number, factor: number): string {
  return String(Number((value / factor).toPrecision(12)));
}

export function draftFromRule(rule: AlertRule): RuleDraft {
  const factor = thresholdUnit(rule.metric)?.factor ?? 1;
  const forUnit: ForUnit =
    rule.forMs > 0 && rule.forMs % FOR_UNITS.hours === 0 ? "hours" : rule.forMs > 0 && rule.forMs % FOR_UNITS.minutes === 0 ? "minutes" : "seconds";
  const scope = rule.scope;
  return {
    name: rule.name,
    metric: rule.metric,
    scopeKind: scope.kind,
    hostId: scope.kind === "host" || scope.kind === "vm" ? scope.hostId : "",
    tag: scope.kind === "tag" ? scope.tag : "",
    vm: scope.kind === "vm" ? `${scope.hostId}/${scope.uuid}` : "",
    comparison: rule.comparison,
    threshold: shown(rule.threshold, factor),
    resolveThreshold: shown(rule.resolveThreshold, factor),
    forValue: String(rule.forMs / FOR_UNITS[forUnit]),
    forUnit,
    severity: rule.severity,
    enabled: rule.enabled,
  };
}

/** The scope the draft names (for the preview too); null while it is incomplete (no host, tag or VM chosen yet). */
export function draftScope(draft: RuleDraft): AlertScope | null {
  switch (draft.scopeKind) {
    case "all":
      return { kind: "all" };
    case "host":
      return draft.hostId ? { kind: "host", hostId: draft.hostId } : null;
    case "tag":
      return draft.tag.trim() ? { kind: "tag", tag: draft.tag.trim() } : null;
    case "vm": {
      const [hostId, uuid] = draft.vm.split("/");
      return hostId && uuid ? { kind: "vm", hostId, uuid } : null;
    }
  }
}

export type DraftProblem = "needed" | "notANumber";

/**
 * The API's rule from the draft, or what the form must say first (by field: empty or not a
 * number); the rest (sides of the resolve threshold, bounds) the server's schema words.
 */
export function ruleFromDraft(
  draft: RuleDraft,
): { rule: RuleInput } | { problems: Partial<Record<"name" | "scope" | "threshold" | "resolveThreshold" | "forValue", DraftProblem>> } {
  const problems: Partial<Record<"name" | "scope" | "threshold" | "resolveThreshold" | "forValue", DraftProblem>> = {};
  const number = (field: "threshold" | "resolveThreshold" | "forValue", text: string): number => {
    const value = Number(text.trim().replace(",", "."));
    if (text.trim() === "") problems[field] = "needed";
    else if (!Number.isFinite(value)) problems[field] = "notANumber";
    return value;
  };
  if (!draft.name.trim()) problems.name = "needed";
  const scope = draftScope(draft);
  if (!scope) problems.scope = "needed";
  const event = isEventKind(draft.metric);
  const factor = thresholdUnit(draft.metric)?.factor ?? 1;
  const threshold = event ? 0 : number("threshold", draft.threshold) * factor;
  const resolveThreshold = event ? 0 : number("resolveThreshold", draft.resolveThreshold) * factor;
  const forMs = Math.round(number("forValue", draft.forValue) * FOR_UNITS[draft.forUnit]);
  if (Object.keys(problems).length > 0 || !scope) return { problems };
  return {
    rule: {
      name: draft.name.trim(),
      metric: draft.metric,
      scope,
      comparison: event ? ">" : draft.comparison,
      threshold,
      resolveThreshold,
      forMs,
      severity: draft.severity,
      enabled: draft.enabled,
    },
  };
}

/** Scope kinds a metric allows: host metrics take all hosts or one. */
export function scopeKindsFor(metric: AlertMetric): AlertScope["kind"][] {
  return subjectOf(metric) === "host" ? ["all", "host"] : ["all", "host", "tag", "vm"];
}

/**
 * The alert pages' pure helpers: which catalog words name a metric, how a value reads with its unit,
 * what unit a rule's threshold is typed in, how long a `for` is, and the /alerts filters read from
 * the URL. Client-safe; the words themselves are in server/i18n/messages/<locale>/alerts.json.
 */
import { METRICS, type MetricKey } from "@/server/metrics/sample";
import { DERIVED_METRICS, isEventKind } from "@/server/alerts/rules";
import { ALERT_SEVERITIES, ALERT_STATES, type AlertSeverity, type AlertState } from "@/server/alerts/kinds";
import { HOST_ID_PATTERN } from "@/server/identifiers";
import type en from "@/server/i18n/messages/en/alerts.json";

export type MetricWordKey = keyof (typeof en)["metrics"];

/** The catalog key of a metric's name in words (alerts.metrics.*): next-intl reads dots as nesting. */
export function metricWordKey(metric: string): MetricWordKey {
  // Every ALERT_METRICS key has its words; server/i18n/catalogs.test.ts keeps en and de alike, alert-words.test.ts checks the set.
  return metric.replaceAll(".", "_") as MetricWordKey;
}

export type ValueUnit = "percent" | "bytes" | "bytesPerSecond" | "perSecond";

/** A metric's unit; null for an event kind (vm.crashed…), which has no value worth showing. */
export function unitOf(metric: string): ValueUnit | null {
  if (isEventKind(metric)) return null;
  if (metric in DERIVED_METRICS) return "percent";
  return METRICS[metric as MetricKey]?.unit ?? null;
}

export interface Formatter {
  number(value: number, fractionDigits?: number): string;
  bytes(bytes: number): string;
}

/** A measured value with its unit, in the reader's locale: "92.5 %", "1.5 GiB", "12 MiB/s", "340/s". */
export function formatValue(metric: string, value: number, format: Formatter): string {
  switch (unitOf(metric)) {
    case "percent":
      return `${format.number(value, 1)} %`;
    case "bytes":
      return format.bytes(value);
    case "bytesPerSecond":
      return `${format.bytes(value)}/s`;
    case "perSecond":
      return `${format.number(value, 1)}/s`;
    case null:
      return format.number(value);
  }
}

/**
 * What a threshold is typed in: bytes as MiB (a memory or rate threshold in bytes is unreadable),
 * percentages and operations as they are. `factor` turns the typed number into the stored one.
 */
export function thresholdUnit(metric: string): { unit: "percent" | "MiB" | "MiBPerSecond" | "perSecond"; factor: number } | null {
  switch (unitOf(metric)) {
    case "percent":
      return { unit: "percent", factor: 1 };
    case "bytes":
      return { unit: "MiB", factor: 1024 ** 2 };
    case "bytesPerSecond":
      return { unit: "MiBPerSecond", factor: 1024 ** 2 };
    case "perSecond":
      return { unit: "perSecond", factor: 1 };
    case null:
      return null;
  }
}

/** A `for` duration in its largest whole unit, for "for 5 minutes" (0 → seconds 0: "at once"). */
export function durationParts(ms: number): { unit: "seconds" | "minutes" | "hours" | "days"; count: number } {
  const seconds = Math.round(ms / 1000);
  if (seconds > 0 && seconds % 86_400 === 0) return { unit: "days", count: seconds / 86_400 };
  if (seconds > 0 && seconds % 3600 === 0) return { unit: "hours", count: seconds / 3600 };
  if (seconds > 0 && seconds % 60 === 0) return { unit: "minutes", count: seconds / 60 };
  return { unit: "seconds", count: seconds };
}

/**
 * The alerts the nav badge counts: firing, i.e. not yet acknowledged and not resolved (an
 * acknowledged one has someone on it), and not silenced (nobody is to be told of those).
 */
export function countsInBadge(alert: { state: AlertState; silenced: boolean }): boolean {
  return alert.state === "firing" && !alert.silenced;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AlertFilters {
  severity?: AlertSeverity;
  state?: AlertState;
  hostId?: string;
  uuid?: string;
}

/**
 * The /alerts filters from its URL (so a filtered list is a link, as the VM banner makes), and the
 * names of those that are not valid: the page says so rather than silently showing everything.
 */
export function parseAlertFilters(raw: Readonly<Record<string, string | undefined>>): { filters: AlertFilters; invalid: (keyof AlertFilters)[] } {
  const filters: AlertFilters = {};
  const invalid: (keyof AlertFilters)[] = [];
  const text = (k: keyof AlertFilters) => raw[k]?.trim() || undefined;
  const severity = text("severity");
  if (severity && (ALERT_SEVERITIES as readonly string[]).includes(severity)) filters.severity = severity as AlertSeverity;
  else if (severity) invalid.push("severity");
  const state = text("state");
  if (state && (ALERT_STATES as readonly string[]).includes(state)) filters.state = state as AlertState;
  else if (state) invalid.push("state");
  const hostId = text("hostId");
  if (hostId && HOST_ID_PATTERN.test(hostId)) filters.hostId = hostId;
  else if (hostId) invalid.push("hostId");
  const uuid = text("uuid");
  if (uuid && UUID.test(uuid)) filters.uuid = uuid.toLowerCase();
  else if (uuid) invalid.push("uuid");
  return { filters, invalid };
}

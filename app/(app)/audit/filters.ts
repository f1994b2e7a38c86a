import { AUDIT_RESULTS, type AuditResult } from "@/server/db/schema";
import { ACTION_FILTER_PATTERN } from "@/server/audit/actions";
import type { AuditT } from "./action-words";

/**
 * The audit page's filters, read from its URL (so a search can be shared as a link) and checked:
 * each problem is worded (in the page's language, `t`) for the field it belongs to. Times are UTC, as the page shows them; a
 * date alone means the whole day.
 */
export interface AuditFilters {
  target?: string;
  username?: string;
  action?: string;
  result?: AuditResult;
  since?: Date;
  until?: Date;
  beforeId?: number;
}

export type FilterField = "target" | "username" | "action" | "result" | "since" | "until";

const MOMENT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** A UTC moment from `2026-11-27` or `2026-11-27T14:05` (what a date-time input sends); the end of that day or minute for `until`. */
export function parseMoment(text: string, end: boolean): Date | null {
  const m = MOMENT.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map((x) => (x === undefined ? undefined : Number(x)));
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h ?? 0, mi ?? 0, s ?? 0));
  if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d! || (h ?? 0) > 23 || (mi ?? 0) > 59 || (s ?? 0) > 59) return null;
  if (!end) return date;
  const span = h === undefined ? 86_400_000 : s === undefined ? 60_000 : 1000;
  return new Date(date.getTime() + span - 1);
}

export function parseAuditFilters(
  raw: Readonly<Record<string, string | undefined>>,
  t: AuditT,
): { filters: AuditFilters; errors: Partial<Record<FilterField, string>> } {
  const filters: AuditFilters = {};
  const errors: Partial<Record<FilterField, string>> = {};
  const text = (k: string) => raw[k]?.trim() || undefined;
  const bounded = (k: "target" | "username", field: string, max: number) => {
    const v = text(k);
    if (v && v.length > max) errors[k] = t("errors.tooLong", { field, max });
    else if (v) filters[k] = v;
  };
  bounded("target", t("errors.targetField"), 128);
  bounded("username", t("errors.userField"), 64);
  const action = text("action");
  if (action && (action.length > 128 || !ACTION_FILTER_PATTERN.test(action))) errors.action = t("errors.action");
  else if (action) filters.action = action;
  const result = text("result");
  if (result && !(AUDIT_RESULTS as readonly string[]).includes(result)) errors.result = t("errors.result");
  else if (result) filters.result = result as AuditResult;
  for (const [k, message, end] of [
    ["since", "errors.sinceMoment", false],
    ["until", "errors.untilMoment", true],
  ] as const) {
    const v = text(k);
    if (!v) continue;
    const moment = parseMoment(v, end);
    if (moment) filters[k] = moment;
    else errors[k] = t(message);
  }
  if (filters.since && filters.until && filters.since > filters.until) errors.until = t("errors.untilBeforeSince");
  const beforeId = Number(text("beforeId"));
  if (Number.isSafeInteger(beforeId) && beforeId > 0) filters.beforeId = beforeId;
  return { filters, errors };
}

// The words of the insights model, shared by the database schema, the rules and the pages. No imports
// (the schema imports it).

export const INSIGHT_KINDS = ["vm.oversized", "vm.undersized", "vm.filesystemFull", "vm.noAgent", "vm.noSnapshot", "host.overcommit"] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

/** The same three words as alerts, so a page can show both the same way. */
export const INSIGHT_SEVERITIES = ["info", "warning", "critical"] as const;
export type InsightSeverity = (typeof INSIGHT_SEVERITIES)[number];

/** The kinds read from the metrics history, and how many days of it each needs before it can say anything. */
export const HISTORY_DAYS_NEEDED = { "vm.oversized": 7, "vm.undersized": 1, "vm.filesystemFull": 7 } as const satisfies Partial<Record<InsightKind, number>>;
export type HistoryInsightKind = keyof typeof HISTORY_DAYS_NEEDED;
export const HISTORY_INSIGHT_KINDS = Object.keys(HISTORY_DAYS_NEEDED) as HistoryInsightKind[];

// The words of the alert model, shared by the database schema and the client-safe rule schema. No imports.

export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** firing → acknowledged (someone is on it) → resolved; a firing alert can also resolve unacknowledged. */
export const ALERT_STATES = ["firing", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

export const ALERT_COMPARISONS = [">", "<"] as const;
export type AlertComparison = (typeof ALERT_COMPARISONS)[number];

export const SILENCE_KINDS = ["rule", "vm", "tag"] as const;
export type SilenceKind = (typeof SILENCE_KINDS)[number];

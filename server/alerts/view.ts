import type { AlertSeverity, AlertState } from "./kinds";

/** An alert as browsers receive it (API answers and the event stream): times in ms since the epoch. */
export interface AlertView {
  id: number;
  ruleId: number | null;
  ruleName: string;
  metric: string;
  severity: AlertSeverity;
  hostId: string;
  uuid: string | null;
  vmName: string | null;
  state: AlertState;
  value: number | null;
  resolvedValue: number | null;
  threshold: number;
  firedAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  silenced: boolean;
}

interface AlertRowLike extends Omit<AlertView, "firedAt" | "acknowledgedAt" | "resolvedAt"> {
  firedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
}

export function alertView(row: AlertRowLike): AlertView {
  return {
    id: row.id,
    ruleId: row.ruleId,
    ruleName: row.ruleName,
    metric: row.metric,
    severity: row.severity,
    hostId: row.hostId,
    uuid: row.uuid,
    vmName: row.vmName,
    state: row.state,
    value: row.value,
    resolvedValue: row.resolvedValue,
    threshold: row.threshold,
    firedAt: row.firedAt.getTime(),
    acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
    acknowledgedBy: row.acknowledgedBy,
    resolvedAt: row.resolvedAt?.getTime() ?? null,
    silenced: row.silenced,
  };
}

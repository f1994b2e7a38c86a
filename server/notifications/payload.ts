/**
 * What a notification says, built once when the alert fires or resolves and stored with the
 * delivery, so every attempt (also after a restart) sends the same thing.
 */
import type { alerts } from "@/server/db/schema";

type AlertRow = typeof alerts.$inferSelect;
export type NotifyEvent = "fired" | "resolved";

/** The webhook's JSON body (documented in server/notifications/README.md). */
export interface AlertPayload {
  event: `alert.${NotifyEvent}`;
  alert: {
    id: number;
    rule: { id: number | null; name: string };
    metric: string;
    severity: string;
    state: string;
    host: string;
    vm: { name: string | null; uuid: string } | null;
    value: number | null;
    resolvedValue: number | null;
    threshold: number;
    firedAt: string;
    acknowledgedAt: string | null;
    acknowledgedBy: string | null;
    resolvedAt: string | null;
    /** Path of the alert's page in the manager (the receiver knows the manager's address). */
    link: string;
  };
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function alertLink(row: Pick<AlertRow, "hostId" | "uuid">): string {
  const query = new URLSearchParams({ hostId: row.hostId, ...(row.uuid ? { uuid: row.uuid } : {}) });
  return `/alerts?${query.toString()}`;
}

export function alertPayload(row: AlertRow, event: NotifyEvent): AlertPayload {
  return {
    event: `alert.${event}`,
    alert: {
      id: row.id,
      rule: { id: row.ruleId, name: row.ruleName },
      metric: row.metric,
      severity: row.severity,
      state: row.state,
      host: row.hostId,
      vm: row.uuid ? { name: row.vmName, uuid: row.uuid } : null,
      value: row.value,
      resolvedValue: row.resolvedValue,
      threshold: row.threshold,
      firedAt: iso(row.firedAt)!,
      acknowledgedAt: iso(row.acknowledgedAt),
      acknowledgedBy: row.acknowledgedBy,
      resolvedAt: iso(row.resolvedAt),
      link: alertLink(row),
    },
  };
}

function subjectOf(alert: AlertPayload["alert"]): string {
  return alert.vm ? `VM "${alert.vm.name ?? alert.vm.uuid}" on host "${alert.host}"` : `host "${alert.host}"`;
}

/** Subject and plain text of the e-mail: the rule, what it is about, and the figures. */
export function alertMail(payload: AlertPayload): { subject: string; text: string } {
  const { alert } = payload;
  const resolved = payload.event === "alert.resolved";
  const subject = `[${resolved ? "RESOLVED" : alert.severity.toUpperCase()}] ${alert.rule.name}: ${subjectOf(alert)}`;
  const lines = [
    `${resolved ? "Resolved" : "Firing"}: ${alert.rule.name} (${alert.severity})`,
    `About: ${subjectOf(alert)}`,
    `Metric: ${alert.metric}`,
    `Value: ${alert.value ?? "—"} (threshold ${alert.threshold})`,
    `Fired at: ${alert.firedAt}`,
    ...(resolved ? [`Resolved at: ${alert.resolvedAt ?? "—"}`, `Value when resolved: ${alert.resolvedValue ?? "—"}`] : []),
    "",
    `In KVM Manager: ${alert.link}`,
  ];
  return { subject, text: `${lines.join("\n")}\n` };
}

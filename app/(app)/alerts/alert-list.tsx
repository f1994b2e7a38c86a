"use client";

import { useState } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { AlertView } from "@/server/alerts/view";
import type { AlertSeverity } from "@/server/alerts/kinds";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { Field, Options, TextField } from "@/app/_components/form-fields";
import { AlertDeliveries, useDeliveries } from "./alert-deliveries";
import type { DeliveryView } from "@/server/notifications/queue";
import { formatValue, metricWordKey, unitOf, type AlertFilters } from "./alert-words";

export const SEVERITY_TONE: Record<AlertSeverity, string> = {
  critical: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  warning: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  info: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
};

/** Silence lengths offered, in hours: a night, a day, a maintenance week. */
const SILENCE_HOURS = [1, 4, 24, 7 * 24] as const;

/**
 * The alerts matching the page's filters, read again on every `alert` event (fired, acknowledged,
 * resolved), with Acknowledge and Silence for users who may (`canAck`; the server checks anyway).
 */
export function AlertList({ filters, initial, canAck }: { filters: AlertFilters; initial: AlertView[]; canAck: boolean }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const options = trpc.alerts.list.queryOptions({ ...filters, limit: 200 });
  const alerts = useQuery({ ...options, initialData: initial });
  useLiveRefetch("alert", () => [options.queryKey]);
  const [silencing, setSilencing] = useState<AlertView | null>(null);
  const deliveries = useDeliveries(alerts.data.map((a) => a.id));
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("list.liveNote")}</p>
      {alerts.data.length === 0 ? (
        <p className="card text-sm">{t("list.none")}</p>
      ) : (
        <ol className="space-y-2" aria-label={t("list.label")}>
          {alerts.data.map((alert) => (
            <AlertItem key={alert.id} alert={alert} canAck={canAck} onSilence={() => setSilencing(alert)} deliveries={deliveries.get(alert.id) ?? []} />
          ))}
        </ol>
      )}
      {silencing && <SilenceDialog alert={silencing} onDone={() => setSilencing(null)} />}
    </>
  );
}

function AlertItem({ alert, canAck, onSilence, deliveries }: { alert: AlertView; canAck: boolean; onSilence: () => void; deliveries: DeliveryView[] }) {
  const t = useTranslations("alerts");
  const format = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const ack = useMutation(
    trpc.alerts.acknowledge.mutationOptions({
      onSuccess: () => {
        toasts.success(`alert ${alert.id}`, t("list.acknowledged", { rule: alert.ruleName }));
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.list.queryKey() });
      },
      onError: (error) => toasts.error(`alert ${alert.id}`, error.message),
    }),
  );
  const hasValue = unitOf(alert.metric) !== null;
  return (
    <li className="card text-sm" data-testid="alert" data-alert-id={alert.id}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${SEVERITY_TONE[alert.severity]}`}>{t(`severity.${alert.severity}`)}</span>
        {/* A rule's name is what its author typed, in whatever language: kept as written. */}
        <span className="font-medium" translate="no">
          {alert.ruleName}
        </span>
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800" data-testid="alert-state">
          {t(`state.${alert.state}`)}
        </span>
        {alert.silenced && <span className="text-xs text-slate-600 dark:text-slate-400">{t("list.silenced")}</span>}
        <span>
          {alert.uuid && alert.vmName ? (
            <Link href={`/vms/${encodeURIComponent(alert.hostId)}/${alert.uuid}`} className="inline-flex min-h-11 items-center underline">
              {t("list.vmOnHost", { vm: alert.vmName, host: alert.hostId })}
            </Link>
          ) : (
            t("list.host", { host: alert.hostId })
          )}
        </span>
      </div>
      <div className="mt-1 text-slate-700 dark:text-slate-300">
        {t(`metrics.${metricWordKey(alert.metric)}`)}
        {hasValue && alert.value !== null && (
          <>
            {" — "}
            {t("list.measured", {
              value: formatValue(alert.metric, alert.value, format),
              // The view carries no comparison; the value that fired is past the threshold, so its side is the rule's.
              comparison: t(`comparison.${alert.threshold <= alert.value ? ">" : "<"}`),
              threshold: formatValue(alert.metric, alert.threshold, format),
            })}
          </>
        )}
        {hasValue && alert.resolvedValue !== null && <> · {t("list.resolvedAt", { value: formatValue(alert.metric, alert.resolvedValue, format) })}</>}
      </div>
      <div className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-600 dark:text-slate-400">
        <span>{t("list.fired", { at: format.dateTime(alert.firedAt) })}</span>
        {alert.acknowledgedAt !== null && (
          <span data-testid="alert-acknowledged">
            {t("list.acknowledgedBy", { user: alert.acknowledgedBy ?? "—", at: format.dateTime(alert.acknowledgedAt) })}
          </span>
        )}
        {alert.resolvedAt !== null && <span>{t("list.resolved", { at: format.dateTime(alert.resolvedAt) })}</span>}
      </div>
      <AlertDeliveries deliveries={deliveries} />
      {canAck && alert.state !== "resolved" && (
        <div className="mt-2 flex flex-wrap gap-2">
          {alert.state === "firing" && (
            <button type="button" className="btn btn-primary" disabled={!hydrated || ack.isPending} onClick={() => ack.mutate({ id: alert.id })}>
              {ack.isPending ? t("list.acknowledging") : t("list.acknowledge")}
            </button>
          )}
          <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onSilence}>
            {t("list.silence")}
          </button>
        </div>
      )}
    </li>
  );
}

/** What a silence covers, from the dialog's choice: this VM, this rule, or every VM with a tag. */
function silenceTarget(alert: AlertView, form: FormData) {
  const kind = String(form.get("target"));
  if (kind === "vm" && alert.uuid) return { kind: "vm" as const, hostId: alert.hostId, uuid: alert.uuid };
  if (kind === "tag") return { kind: "tag" as const, tag: String(form.get("tag") ?? "").trim() };
  // Offered only when the alert's rule still exists.
  return { kind: "rule" as const, ruleId: alert.ruleId! };
}

function SilenceDialog({ alert, onDone }: { alert: AlertView; onDone: () => void }) {
  const t = useTranslations("alerts");
  const format = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const targets = [
    ...(alert.uuid && alert.vmName ? [{ value: "vm", label: t("silence.targetVm", { vm: alert.vmName }) }] : []),
    ...(alert.ruleId !== null ? [{ value: "rule", label: t("silence.targetRule", { rule: alert.ruleName }) }] : []),
    { value: "tag", label: t("silence.targetTag") },
  ];
  const [target, setTarget] = useState(targets[0]!.value);
  const silence = useMutation(
    trpc.alerts.silence.mutationOptions({
      onSuccess: (made) => {
        toasts.success(`silence ${alert.id}`, t("silence.done", { until: format.dateTime(made.endsAt) }));
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.pathKey() });
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("silence.title", { rule: alert.ruleName })}
      confirmLabel={t("silence.submit")}
      pendingLabel={t("silence.pending")}
      danger={false}
      mutation={silence}
      onCancel={onDone}
      onConfirm={(form) =>
        silence.mutate({
          target: silenceTarget(alert, form),
          endsAt: Date.now() + Number(form.get("hours")) * 3600_000,
          reason: String(form.get("reason") ?? ""),
        })
      }
    >
      <p>{t("silence.note")}</p>
      <Field id="silence-target" label={t("silence.target")}>
        <select id="silence-target" name="target" className="input mt-1" value={target} onChange={(e) => setTarget(e.target.value)}>
          <Options choices={targets} />
        </select>
      </Field>
      {target === "tag" && <TextField id="silence-tag" name="tag" label={t("silence.tag")} required maxLength={32} autoComplete="off" />}
      <Field id="silence-hours" label={t("silence.until")}>
        <select id="silence-hours" name="hours" className="input mt-1" defaultValue="4">
          <Options
            choices={SILENCE_HOURS.map((h) => ({
              value: String(h),
              label: h % 24 === 0 ? t("silence.days", { count: h / 24 }) : t("silence.hours", { count: h }),
            }))}
          />
        </select>
      </Field>
      <TextField id="silence-reason" name="reason" label={t("silence.reason")} hint={t("silence.reasonHint")} required maxLength={500} />
    </ConfirmDialog>
  );
}

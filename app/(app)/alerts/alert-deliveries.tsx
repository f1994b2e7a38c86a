"use client";

import { useMemo } from "react";
import { useTranslations } from "next-intl";
import { useQuery } from "@tanstack/react-query";
import type { DeliveryView } from "@/server/notifications/queue";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";

/** While a delivery is still being tried, the page reads the log again this often (the slowest fallback the design allows). */
const PENDING_REFETCH_MS = 30_000;

/** The webhook and e-mail deliveries of the listed alerts, by alert id; read again on every alert event. */
export function useDeliveries(alertIds: number[]): Map<number, DeliveryView[]> {
  const trpc = useTRPC();
  const options = trpc.notifications.deliveries.queryOptions({ alertIds: alertIds.slice(0, 500) });
  const query = useQuery({
    ...options,
    enabled: alertIds.length > 0,
    refetchInterval: (q) => (q.state.data?.some((d) => d.state === "pending") ? PENDING_REFETCH_MS : false),
  });
  useLiveRefetch("alert", () => [options.queryKey]);
  return useMemo(() => {
    const byAlert = new Map<number, DeliveryView[]>();
    for (const d of query.data ?? []) byAlert.set(d.alertId, [...(byAlert.get(d.alertId) ?? []), d]);
    return byAlert;
  }, [query.data]);
}

/** "Webhook ops (fired): delivered, 1 attempt" — one line per channel and event; the error is the receiver's or our words for it. */
export function AlertDeliveries({ deliveries }: { deliveries: DeliveryView[] }) {
  const t = useTranslations("notifications.deliveries");
  if (deliveries.length === 0) return null;
  return (
    <ul className="mt-1 space-y-0.5 text-xs text-slate-600 dark:text-slate-400" aria-label={t("label")} data-testid="alert-deliveries">
      {deliveries.map((d) => (
        <li key={d.id} className={d.state === "failed" ? "text-red-700 dark:text-red-300" : undefined}>
          {t("line", {
            kind: d.channelKind,
            name: d.channelName,
            event: d.event,
            state: d.state,
            error: d.state === "delivered" || !d.lastError ? "none" : d.lastStatus ? `HTTP ${d.lastStatus}` : d.lastError,
            attempts: d.attempts,
          })}
        </li>
      ))}
    </ul>
  );
}

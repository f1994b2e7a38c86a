"use client";

import { Link } from "@/app/_components/link";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { AlertView } from "@/server/alerts/view";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";

/** The VM's alerts that have not resolved (firing or acknowledged), silenced ones included: they are still true. */
const active = (alerts: AlertView[]) => alerts.filter((a) => a.state !== "resolved");

/**
 * Above a VM's tabs while it has active alerts: their rules, and a link to /alerts filtered to it.
 * Read again on each `alert` event about this VM.
 */
export function VmAlertBanner({ hostId, uuid, initial }: { hostId: string; uuid: string; initial: AlertView[] }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const options = trpc.alerts.list.queryOptions({ hostId, uuid, limit: 50 });
  const alerts = useQuery({ ...options, initialData: initial, select: active });
  useLiveRefetch("alert", (event) => (event.hostId === hostId && event.uuid === uuid ? [options.queryKey] : []));
  const shown = alerts.data;
  if (shown.length === 0) return null;
  return (
    <section
      role="status"
      className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-950 dark:border-red-800 dark:bg-red-950/40 dark:text-red-100"
      data-testid="vm-alert-banner"
    >
      <p className="font-medium">{t("banner.title", { count: shown.length })}</p>
      <ul className="mt-1 list-inside list-disc">
        {shown.map((alert) => (
          <li key={alert.id}>
            <span translate="no">{alert.ruleName}</span> ({t(`severity.${alert.severity}`)}, {t(`state.${alert.state}`)})
          </li>
        ))}
      </ul>
      <Link href={`/alerts?${new URLSearchParams({ hostId, uuid })}`} className="mt-1 inline-block underline">
        {t("banner.link")}
      </Link>
    </section>
  );
}

"use client";

import { createContext, useContext } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { countsInBadge } from "@/app/(app)/alerts/alert-words";
import { useTRPC } from "./trpc";
import { useLiveEvent, useLiveRefetch } from "./live-events";
import { useToasts } from "./toasts";

const CountContext = createContext<number | null>(null);

/** The most the badge reads; beyond it, "500" is still "many". */
const BADGE_LIMIT = 500;

/**
 * The count of firing alerts for the nav badges (side bar and phone bar read the same one), kept
 * current by the `alert` events, and a notice when an alert fires — on every page, once per tab.
 * Mounted in the shell only for users who may read alerts (`initial` is null otherwise).
 */
export function AlertCountProvider({ initial, children }: { initial: number | null; children: React.ReactNode }) {
  if (initial === null) return children;
  return <LiveAlertCount initial={initial}>{children}</LiveAlertCount>;
}

function LiveAlertCount({ initial, children }: { initial: number; children: React.ReactNode }) {
  const trpc = useTRPC();
  const t = useTranslations("alerts");
  const toasts = useToasts();
  const options = trpc.alerts.list.queryOptions({ state: "firing", limit: BADGE_LIMIT });
  const firing = useQuery({ ...options, select: (alerts) => alerts.filter(countsInBadge).length });
  useLiveRefetch("alert", () => [options.queryKey]);
  useLiveEvent("alert", (event) => {
    const alert = event.alert;
    if (alert.state !== "firing") return;
    const subject = alert.vmName ? t("list.vmOnHost", { vm: alert.vmName, host: alert.hostId }) : t("list.host", { host: alert.hostId });
    toasts.success(`alert ${alert.id}`, t("list.newAlert", { rule: alert.ruleName, subject }));
  });
  return <CountContext value={firing.data ?? initial}>{children}</CountContext>;
}

/** The badge beside the Alerts nav entry: nothing when no alert fires. */
export function AlertBadge({ variant }: { variant: "side" | "bottom" }) {
  const count = useContext(CountContext);
  const t = useTranslations("alerts");
  if (!count) return null;
  return (
    <span
      className={`rounded-full bg-red-700 px-1.5 text-xs font-semibold leading-5 text-white ${variant === "side" ? "ml-auto" : "absolute right-1 top-0.5"}`}
      data-testid="alert-badge"
    >
      <span aria-hidden="true">{count}</span>
      <span className="sr-only">{t("badge", { count })}</span>
    </span>
  );
}

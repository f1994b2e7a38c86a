"use client";

import { useState } from "react";
import { useTranslations } from "next-intl";
import { signOut } from "next-auth/react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { deviceName } from "./device-name";

/** The user's signed-in browsers and devices, each of which can be signed out from here. */
export function SessionsList() {
  const t = useTranslations("settings");
  const f = useFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.auth.sessions.queryKey() });
  const end = useMutation(trpc.auth.endSession.mutationOptions({ onSuccess: refresh }));
  const everywhere = useMutation(trpc.auth.signOutEverywhere.mutationOptions({ onSuccess: () => void signOut({ callbackUrl: "/login" }) }));
  const [confirming, setConfirming] = useState(false);

  return (
    <div className="space-y-3">
      {sessions.data && (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label={t("sessions.listLabel")}>
          {sessions.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
              <span className="font-medium">{deviceName(s.userAgent, t)}</span>
              {s.current && (
                <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs text-sky-900 dark:bg-sky-900/50 dark:text-sky-100">{t("sessions.thisDevice")}</span>
              )}
              <span className="text-slate-600 dark:text-slate-400">{t("sessions.seen", { ip: s.clientIp, time: f.dateTime(s.lastSeenAt) })}</span>
              {!s.current && (
                <button
                  type="button"
                  className="btn btn-secondary ml-auto"
                  disabled={end.isPending || !hydrated}
                  onClick={() => end.mutate({ sessionId: s.id })}
                  aria-label={t("sessions.signOutLabel", { device: deviceName(s.userAgent, t), ip: s.clientIp })}
                >
                  {t("sessions.signOut")}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <FormStatus error={sessions.error?.message ?? end.error?.message ?? null} />
      <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setConfirming(true)}>
        {t("sessions.everywhere")}
      </button>
      {confirming && (
        <ConfirmDialog
          title={t("sessions.everywhereTitle")}
          confirmLabel={t("sessions.everywhereConfirm")}
          pendingLabel={t("sessions.everywherePending")}
          danger={false}
          mutation={everywhere}
          onConfirm={() => everywhere.mutate()}
          onCancel={() => setConfirming(false)}
        >
          <p>{t("sessions.everywhereText")}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

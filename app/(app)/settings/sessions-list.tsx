"use client";

import { useState } from "react";
import { signOut } from "next-auth/react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { formatDateTime } from "@/app/_components/format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { deviceName } from "./device-name";

/** The user's signed-in browsers and devices, each of which can be signed out from here. */
export function SessionsList() {
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
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Signed-in devices">
          {sessions.data.map((s) => (
            <li key={s.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2 text-sm">
              <span className="font-medium">{deviceName(s.userAgent)}</span>
              {s.current && <span className="rounded bg-sky-100 px-1.5 py-0.5 text-xs text-sky-900 dark:bg-sky-900/50 dark:text-sky-100">this device</span>}
              <span className="text-slate-600 dark:text-slate-400">
                from {s.clientIp}, last active {formatDateTime(s.lastSeenAt)}
              </span>
              {!s.current && (
                <button
                  type="button"
                  className="btn btn-secondary ml-auto"
                  disabled={end.isPending || !hydrated}
                  onClick={() => end.mutate({ sessionId: s.id })}
                  aria-label={`Sign out ${deviceName(s.userAgent)} (${s.clientIp})`}
                >
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <FormStatus error={sessions.error?.message ?? end.error?.message ?? null} />
      <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={() => setConfirming(true)}>
        Sign out everywhere…
      </button>
      {confirming && (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          pendingLabel="Signing out…"
          danger={false}
          mutation={everywhere}
          onConfirm={() => everywhere.mutate()}
          onCancel={() => setConfirming(false)}
        >
          <p>This signs you out on every device, this one included. Anyone using your account elsewhere loses access at once.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

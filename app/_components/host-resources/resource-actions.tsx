"use client";

import { useId, useState, type ReactNode } from "react";
import { useMutation, type UseMutationOptions } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { FormStatus } from "../form-status";
import { useHydrated } from "../use-hydrated";

interface MutationState {
  isPending: boolean;
  error: { message: string } | null;
}

/** Start, stop and start at boot of one resource, bound to it. */
export interface Lifecycle {
  start: () => void;
  stop: () => void;
  setAutostart: (value: boolean, done: () => void) => void;
  mutations: readonly MutationState[];
}

/**
 * The lifecycle of the resource at `target` (its host and name) from its three tRPC procedures'
 * mutation options (`trpc.networks.start.mutationOptions()`, …). These procedures answer nothing
 * the list could be updated from, so after each call, answered or not, `onChanged` reads it again.
 */
export function useLifecycle<T, E extends { message: string }, D1, D2, D3>(
  target: T,
  onChanged: () => void,
  start: UseMutationOptions<D1, E, T>,
  stop: UseMutationOptions<D2, E, T>,
  setAutostart: UseMutationOptions<D3, E, T & { autostart: boolean }>,
): Lifecycle {
  const starting = useMutation({ ...start, onSettled: onChanged });
  const stopping = useMutation({ ...stop, onSettled: onChanged });
  const autostart = useMutation({ ...setAutostart, onSettled: onChanged });
  return {
    start: () => starting.mutate(target),
    stop: () => stopping.mutate(target),
    setAutostart: (value, done) => autostart.mutate({ ...target, autostart: value }, { onSettled: done }),
    mutations: [starting, stopping, autostart],
  };
}

/** What the row shows of the resource. */
interface Resource {
  name: string;
  active: boolean;
  autostart: boolean;
  /** A transient resource has no definition to mark for boot. */
  persistent: boolean;
}

/**
 * The actions of a pool or network card. For managers: start or stop, then the resource's own
 * buttons (`children`), delete (which opens `confirmDelete`, a dialog), and start at boot.
 * Others see only `children` (what a viewer may do), or nothing. `others` are the children's
 * mutations: while any mutation runs the buttons wait, and the first error is shown under the row.
 */
export function ResourceActions({
  noun,
  item,
  canManage,
  lifecycle,
  others = [],
  confirmDelete,
  children,
}: {
  /** "pool" or "network", worded by the catalog (common.hostResources). */
  noun: string;
  item: Resource;
  canManage: boolean;
  lifecycle: Lifecycle;
  others?: readonly MutationState[];
  confirmDelete: (close: () => void) => ReactNode;
  children?: ReactNode;
}) {
  const t = useTranslations("common.hostResources");
  const hydrated = useHydrated();
  const autostartId = useId();
  const [confirming, setConfirming] = useState(false);
  const [wantAutostart, setWantAutostart] = useState<boolean | null>(null);
  const all = [...lifecycle.mutations, ...others];
  const busy = !hydrated || all.some((m) => m.isPending);
  const error = all.find((m) => m.error)?.error?.message ?? null;
  if (!canManage && !children) return null;

  function setAutostart(value: boolean) {
    // Shown at once; the resource read again after the call brings the host's real value.
    setWantAutostart(value);
    lifecycle.setAutostart(value, () => setWantAutostart(null));
  }

  return (
    <>
      <div className="flex flex-wrap items-center gap-2" role="group" aria-label={t("actionsFor", { noun, name: item.name })}>
        {canManage &&
          (item.active ? (
            <button type="button" className="btn btn-secondary" disabled={busy} onClick={lifecycle.stop}>
              {t("stop")}
            </button>
          ) : (
            <button type="button" className="btn btn-primary" disabled={busy} onClick={lifecycle.start}>
              {t("start")}
            </button>
          ))}
        {children}
        {canManage && (
          <button type="button" className="btn btn-secondary text-red-700 dark:text-red-300" disabled={!hydrated} onClick={() => setConfirming(true)}>
            {t("delete")}
          </button>
        )}
        {canManage && (
          <label htmlFor={autostartId} className="flex min-h-11 items-center gap-2 px-1 text-sm">
            <input
              id={autostartId}
              type="checkbox"
              className="size-5"
              checked={wantAutostart ?? item.autostart}
              disabled={busy || !item.persistent}
              onChange={(e) => setAutostart(e.target.checked)}
            />
            {t("startAtBoot")}
          </label>
        )}
      </div>
      <FormStatus error={error} verbatim />
      {confirming && confirmDelete(() => setConfirming(false))}
    </>
  );
}

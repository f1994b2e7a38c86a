"use client";

import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from "react";
import { useTranslations } from "next-intl";

/** How long a success notice stays: long enough to read a sentence, short enough not to pile up. */
export const SUCCESS_TOAST_MS = 6_000;

interface Toast {
  id: number;
  /** What the notice is about ("power local/<uuid>"): a newer notice about it replaces the older one. */
  key: string;
  tone: "success" | "error";
  message: string;
  detail?: ToastDetail;
}

/** Text for whoever needs it (libvirt's own words under an explanation), folded under its label. */
export interface ToastDetail {
  /** Translated words, or an element that words itself (EXPLAINED_DETAIL). */
  label: ReactNode;
  text: string;
}

export interface Toasts {
  /** Announced politely and gone after SUCCESS_TOAST_MS. */
  success(key: string, message: string): void;
  /** Announced at once; stays until dismissed or replaced by a newer notice with the same key. */
  error(key: string, message: string, detail?: ToastDetail): void;
}

const ToastContext = createContext<Toasts | null>(null);

/**
 * Notices about what an action did, each tied to the thing it acted on (its key), in two live
 * regions that exist from the first paint so screen readers announce what is added: successes
 * (role=status) go away by themselves, errors (role=alert) stay until dismissed or superseded.
 * Mounted once in the signed-in layout, above the phone's bottom bar.
 */
export function ToastProvider({ children }: { children: React.ReactNode }) {
  const t = useTranslations("common.toasts");
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((timer) => clearTimeout(timer));
  }, []);

  const [{ api, dismiss }] = useState(() => {
    const dismiss = (id: number) => {
      clearTimeout(timers.current.get(id));
      timers.current.delete(id);
      setToasts((list) => list.filter((item) => item.id !== id));
    };
    const show = (key: string, tone: Toast["tone"], message: string, detail?: ToastDetail) => {
      const id = nextId.current++;
      setToasts((list) => {
        for (const old of list) if (old.key === key) clearTimeout(timers.current.get(old.id));
        return [...list.filter((item) => item.key !== key), { id, key, tone, message, detail }];
      });
      if (tone === "success")
        timers.current.set(
          id,
          setTimeout(() => dismiss(id), SUCCESS_TOAST_MS),
        );
    };
    const api: Toasts = { success: (key, message) => show(key, "success", message), error: (key, message, detail) => show(key, "error", message, detail) };
    return { api, dismiss };
  });

  const errors = toasts.filter((item) => item.tone === "error");
  const successes = toasts.filter((item) => item.tone === "success");
  return (
    <ToastContext value={api}>
      {children}
      <div className="pointer-events-none fixed inset-x-4 bottom-24 z-50 flex flex-col items-end gap-2 md:inset-x-auto md:bottom-4 md:right-4 md:w-96">
        <div role="alert" aria-label={t("errors")} className="flex w-full flex-col gap-2">
          {errors.map((toast) => (
            <div
              key={toast.id}
              className="pointer-events-auto flex items-start gap-2 rounded-md border border-red-300 bg-red-50 py-1 pl-3 pr-1 text-sm text-red-900 shadow-lg dark:border-red-800 dark:bg-red-950 dark:text-red-100"
            >
              <div className="min-w-0 flex-1 py-2">
                <p className="[overflow-wrap:anywhere]">{toast.message}</p>
                {toast.detail && (
                  <details className="mt-1">
                    <summary className="cursor-pointer py-1 text-xs font-medium">{toast.detail.label}</summary>
                    <pre translate="no" className="mt-1 max-h-48 overflow-y-auto whitespace-pre-wrap break-all font-mono text-xs">
                      {toast.detail.text}
                    </pre>
                  </details>
                )}
              </div>
              <button
                type="button"
                className="inline-flex size-11 shrink-0 items-center justify-center rounded-md text-lg hover:bg-red-100 dark:hover:bg-red-900"
                aria-label={t("dismiss")}
                onClick={() => dismiss(toast.id)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
        <div role="status" aria-label={t("notices")} className="flex w-full flex-col gap-2">
          {/* A notice has no controls: taps go through it to the page, which on a phone it covers for its 6 s. */}
          {successes.map((toast) => (
            <p
              key={toast.id}
              className="pointer-events-none break-words rounded-md border border-emerald-300 bg-emerald-50 px-3 py-3 text-sm text-emerald-950 shadow-lg dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
            >
              {toast.message}
            </p>
          ))}
        </div>
      </div>
    </ToastContext>
  );
}

/** The tab's notices; components below the signed-in layout call it. */
export function useToasts(): Toasts {
  const toasts = useContext(ToastContext);
  if (!toasts) throw new Error("useToasts needs a ToastProvider above it; the signed-in layout (app/(app)/layout.tsx) has one.");
  return toasts;
}

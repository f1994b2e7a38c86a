"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";
import { useTranslations } from "next-intl";
import { FormStatus } from "./form-status";

/**
 * The one way the dashboard asks before a destructive or disruptive action (delete, force off,
 * reset, revert, a role change, a password reset…). A native modal `<dialog>`: it opens when
 * mounted, focus moves into it (to the first text field, else to Cancel, the harmless choice) and
 * returns to what was focused before when it goes; Escape cancels; the page behind is inert; the
 * title labels it for screen readers. Callers mount it while asking and unmount it on cancel or
 * success. While `ready` is false (a name not yet typed back) the confirm button stays off.
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  pendingLabel,
  danger = true,
  mutation,
  ready = true,
  onConfirm,
  onCancel,
  children,
}: {
  /** A question that names the thing: "Delete volume disk1.qcow2?". */
  title: ReactNode;
  confirmLabel: string;
  /** What the button says while the action runs; "Working…" when not given. */
  pendingLabel?: string;
  /** Red for what loses data or cuts power; plain for what only interrupts. */
  danger?: boolean;
  /** The action's mutation: while it runs the button waits, and its error is shown here. */
  mutation?: { isPending: boolean; error: { message: string } | null };
  ready?: boolean;
  /** The form's fields (a name typed back, a "delete the data too" box) are in `form`. */
  onConfirm: (form: FormData) => void;
  onCancel: () => void;
  children?: ReactNode;
}) {
  const t = useTranslations("common.confirm");
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  // An error left from an earlier try (this dialog opened before, then cancelled) is not this one's.
  const [tried, setTried] = useState(false);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const field = dialog.querySelector<HTMLElement>("input:not([type=checkbox]):not([type=hidden]), textarea, select");
    (field ?? cancelRef.current)?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!ready || mutation?.isPending) return;
    setTried(true);
    onConfirm(new FormData(event.currentTarget));
  }

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={children ? bodyId : undefined}
      // Escape: the browser would close the dialog by itself; the caller decides instead, so its state stays true.
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
      className="m-auto w-[calc(100vw-2rem)] max-w-lg rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-slate-950/60 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <form method="dialog" onSubmit={onSubmit} className="max-h-[calc(100dvh-2rem)] space-y-4 overflow-y-auto p-4">
        <h2 id={titleId} className="break-words text-lg font-semibold">
          {title}
        </h2>
        {children && (
          <div id={bodyId} className="space-y-3 text-sm">
            {children}
          </div>
        )}
        <FormStatus error={tried ? (mutation?.error?.message ?? null) : null} verbatim />
        <div className="flex flex-wrap justify-end gap-2">
          <button ref={cancelRef} type="button" className="btn btn-secondary" onClick={onCancel}>
            {t("cancel")}
          </button>
          <button
            type="submit"
            className={`btn ${danger ? "bg-red-700 text-white hover:bg-red-800 dark:bg-red-700 dark:hover:bg-red-600" : "btn-primary"}`}
            disabled={!ready || mutation?.isPending}
          >
            {mutation?.isPending ? (pendingLabel ?? t("working")) : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

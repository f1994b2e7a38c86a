"use client";

import type { FormEvent, ReactNode } from "react";
import { FormStatus } from "./form-status";
import { useHydrated } from "./use-hydrated";

/**
 * Asks before deleting: the explanation (and any fields, such as the name typed back) as
 * children, then the red button and Cancel. While `ready` is false the button stays off.
 */
export function ConfirmDelete({
  what,
  confirmLabel,
  mutation,
  ready = true,
  onConfirm,
  onCancel,
  children,
}: {
  /** "network web-net": names the form for screen readers. */
  what: string;
  confirmLabel: string;
  /** The delete mutation: while it runs the button waits, and its error is shown. */
  mutation: { isPending: boolean; error: { message: string } | null };
  ready?: boolean;
  onConfirm: (form: FormData) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const hydrated = useHydrated();
  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (ready) onConfirm(new FormData(event.currentTarget));
  }
  return (
    <form
      onSubmit={onSubmit}
      method="post"
      aria-label={`Confirm deleting ${what}`}
      className="space-y-3 rounded-md border border-red-200 p-3 dark:border-red-900"
    >
      {children}
      <FormStatus error={mutation.error?.message ?? null} />
      <div className="flex flex-wrap gap-2">
        <button type="submit" className="btn bg-red-700 text-white hover:bg-red-800" disabled={!hydrated || mutation.isPending || !ready}>
          {mutation.isPending ? "Deleting…" : confirmLabel}
        </button>
        <button type="button" className="btn btn-secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

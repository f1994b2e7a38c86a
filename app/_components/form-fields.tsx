"use client";

import { createContext, useContext, type InputHTMLAttributes, type ReactNode } from "react";
import { FormStatus } from "./form-status";
import { useHydrated } from "./use-hydrated";
import { describedBy, errorId, hintId } from "./field-ids";

export { describedBy, errorId, hintId };

/**
 * The messages of a form's fields by control id (see `useFieldErrors`): a form provides them once
 * and every `Field`/`TextField` inside shows its own.
 */
export const FieldErrorsContext = createContext<Readonly<Record<string, string>>>({});

/** The error a field shows: its `error` prop, else what the form's FieldErrorsContext holds for its id. */
export function useFieldError(id: string, error: string | null | undefined): string | null {
  const fromForm = useContext(FieldErrorsContext)[id];
  return error ?? fromForm ?? null;
}

/**
 * A labelled control with an optional hint and error under it. The control is the child and
 * carries `id` and `describedBy(id, …)` (which `TextField` does itself), so a screen reader
 * reads the hint and the error with it.
 */
export function Field({
  id,
  label,
  hint,
  error,
  className = "",
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  /** What is wrong with the value, in words; else the form's FieldErrorsContext is asked. */
  error?: string | null;
  className?: string;
  children: ReactNode;
}) {
  const message = useFieldError(id, error);
  return (
    <div className={`text-sm ${className}`} data-field-error={message ? "" : undefined}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <span id={hintId(id)} className="mt-1 block text-xs text-slate-500 dark:text-slate-400">
          {hint}
        </span>
      )}
      {message && (
        <span id={errorId(id)} className="mt-1 block text-xs font-medium text-red-700 dark:text-red-300">
          {message}
        </span>
      )}
    </div>
  );
}

/**
 * A labelled input, the common case of `Field`; the hint, when given, is tied to it. `mono` for
 * what is typed as code: paths, addresses, device names.
 */
export function TextField({
  id,
  label,
  hint,
  error,
  className,
  mono = false,
  ...input
}: { id: string; label: ReactNode; hint?: ReactNode; error?: string | null; className?: string; mono?: boolean } & Omit<
  InputHTMLAttributes<HTMLInputElement>,
  "id" | "className"
>) {
  const message = useFieldError(id, error);
  return (
    <Field id={id} label={label} hint={hint} error={message} className={className}>
      <input id={id} className={mono ? "input mt-1 font-mono" : "input mt-1"} {...describedBy(id, !!hint, message)} {...input} />
    </Field>
  );
}

/** A checkbox with its label beside it; the whole row is the label, so all of it (44 px high at least) is the tap target. */
export function CheckboxField({
  id,
  label,
  className = "",
  ...input
}: { id: string; label: ReactNode; className?: string } & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "type">) {
  return (
    <label htmlFor={id} className={`flex min-h-11 items-start gap-3 py-2.5 text-sm ${className}`}>
      <input id={id} type="checkbox" className="size-5 shrink-0" {...input} />
      <span>{label}</span>
    </label>
  );
}

export type Choice = string | { value: string; label: string };

/** The `<option>`s of a select: plain values show as themselves. */
export function Options({ choices }: { choices: readonly Choice[] }) {
  return choices.map((choice) => {
    const { value, label } = typeof choice === "string" ? { value: choice, label: choice } : choice;
    return (
      <option key={value} value={value}>
        {label}
      </option>
    );
  });
}

/** A form's last row: what the server answered, and the submit button (disabled until it can work, and while sending). */
export function SubmitRow({
  label,
  pendingLabel,
  pending,
  error,
  success,
  className = "",
}: {
  label: string;
  pendingLabel: string;
  pending: boolean;
  error: string | null;
  success?: string | null;
  className?: string;
}) {
  const hydrated = useHydrated();
  return (
    <div className={`space-y-3 ${className}`}>
      <FormStatus error={error} success={success} />
      <button type="submit" className="btn btn-primary" disabled={!hydrated || pending}>
        {pending ? pendingLabel : label}
      </button>
    </div>
  );
}

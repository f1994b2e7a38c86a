"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslations } from "next-intl";
import { fieldErrors, type ErrorLike, type FieldMap } from "@/server/api/error-words";

/**
 * A form's errors by field: what the server refused (its issues or a ServiceError naming a field,
 * worded by server/api/error-words.ts in the page's language) and what the form found itself before sending (`check`).
 * Provide `byField` through FieldErrorsContext; show `form` in the submit row. After each refusal
 * the first invalid control is scrolled into view and focused, so on a phone the message is seen.
 */
export function useFieldErrors(error: ErrorLike | null | undefined, fields: FieldMap) {
  const formRef = useRef<HTMLFormElement>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [attempt, setAttempt] = useState(0);
  const t = useTranslations("errors");
  const server = useMemo(() => fieldErrors(error, fields, t), [error, fields, t]);
  const byField = useMemo(() => ({ ...server.byField, ...local }), [server, local]);

  useEffect(() => {
    // Field marks itself when it shows a message (form-fields.tsx), whatever control it holds.
    const first = formRef.current?.querySelector<HTMLElement>("[data-field-error]");
    if (!first) return;
    first.scrollIntoView({ block: "center" });
    first.querySelector<HTMLElement>("input, select, textarea")?.focus({ preventScroll: true });
  }, [error, attempt]);

  /** Records the form's own findings; true when there are none and the form may be sent. */
  function check(found: Record<string, string>): boolean {
    setLocal(found);
    setAttempt((n) => n + 1);
    return Object.keys(found).length === 0;
  }

  return { formRef, byField, form: server.form, check };
}

import type { ReactNode } from "react";
import { useTranslations } from "next-intl";
import type { FailureKey } from "@/server/domains/failure-explanations";
import { FormStatus } from "./form-status";

/**
 * What the tRPC client error carries when the server knows what a libvirt or QEMU failure means
 * (server/api/trpc.ts): the explanation's catalog key (errors.explained.*), and its English text.
 */
export interface ExplainableError {
  message: string;
  data?: { explanation?: string | null; explanationKey?: FailureKey | null } | null;
}

function ExplainedDetail() {
  const t = useTranslations("errors");
  return t("explained.detail");
}

/** The label over libvirt's and QEMU's own text, wherever an explanation folds it (a toast's detail label, a summary). */
export const EXPLAINED_DETAIL: ReactNode = <ExplainedDetail />;

/**
 * The explanation of a failure in the page's language, or null when the server has none: a
 * function of the error, for toasts and other text built outside JSX.
 */
export function useExplanation(): (error: ExplainableError | null | undefined) => string | null {
  const t = useTranslations("errors");
  return (error) => {
    const key = error?.data?.explanationKey;
    return key ? t(`explained.${key}`) : (error?.data?.explanation ?? null);
  };
}

/**
 * A failure in words a person can act on, with libvirt's and QEMU's own text folded underneath for
 * whoever needs it; a failure without an explanation shows its message as it is.
 */
export function ErrorExplained({ error }: { error: ExplainableError | null | undefined }) {
  const explain = useExplanation();
  if (!error) return null;
  const explanation = explain(error);
  if (!explanation) return <FormStatus error={error.message} verbatim />;
  return (
    <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
      <p>{explanation}</p>
      <details className="mt-1">
        <summary className="cursor-pointer py-1 text-xs font-medium">{EXPLAINED_DETAIL}</summary>
        <pre translate="no" className="mt-1 whitespace-pre-wrap break-all font-mono text-xs">
          {error.message}
        </pre>
      </details>
    </div>
  );
}

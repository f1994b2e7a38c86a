import { FormStatus } from "./form-status";

/** What the tRPC client error carries when the server knows what a libvirt or QEMU failure means (server/api/trpc.ts). */
export interface ExplainableError {
  message: string;
  data?: { explanation?: string | null } | null;
}

/** The label over libvirt's and QEMU's own text, wherever an explanation folds it. */
export const EXPLAINED_DETAIL = "What libvirt and QEMU said";

/**
 * A failure in words a person can act on, with libvirt's and QEMU's own text folded underneath for
 * whoever needs it; a failure without an explanation shows its message as it is.
 */
export function ErrorExplained({ error }: { error: ExplainableError | null | undefined }) {
  if (!error) return null;
  const explanation = error.data?.explanation;
  if (!explanation) return <FormStatus error={error.message} />;
  return (
    <div role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
      <p>{explanation}</p>
      <details className="mt-1">
        <summary className="cursor-pointer py-1 text-xs font-medium">{EXPLAINED_DETAIL}</summary>
        <pre className="mt-1 whitespace-pre-wrap break-all font-mono text-xs">{error.message}</pre>
      </details>
    </div>
  );
}

/**
 * A status line that screen readers announce; errors are alerts, confirmations polite. `verbatim`
 * for an error in the server's or libvirt's own words, which are not ours to translate.
 */
export function FormStatus({ error, success, verbatim = false }: { error?: string | null; success?: string | null; verbatim?: boolean }) {
  if (error) {
    return (
      <p role="alert" translate={verbatim ? "no" : undefined} className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
        {error}
      </p>
    );
  }
  if (success) {
    return (
      <p role="status" className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
        {success}
      </p>
    );
  }
  return null;
}

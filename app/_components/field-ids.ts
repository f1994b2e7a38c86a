/**
 * The ids that tie a control to its hint and error, for `aria-describedby`. A plain module, not a
 * client one, so server components (the audit page's filters) can call these too.
 */

/** The id of a field's hint. */
export function hintId(id: string): string {
  return `${id}-hint`;
}

/** The id of a field's error message. */
export function errorId(id: string): string {
  return `${id}-error`;
}

/** What a control inside a Field sets: invalid while there is an error, described by its hint and error. */
export function describedBy(id: string, hint: boolean, error: string | null): { "aria-invalid"?: true; "aria-describedby"?: string } {
  const ids = [hint ? hintId(id) : null, error ? errorId(id) : null].filter(Boolean).join(" ");
  return { ...(error ? { "aria-invalid": true as const } : {}), ...(ids ? { "aria-describedby": ids } : {}) };
}

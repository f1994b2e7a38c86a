/**
 * What a key without a message renders as. Not the English text: a visible, greppable mark, so the
 * German walk (e2e/i18n.spec.ts) finds a missing key on any page and nobody ships one unnoticed.
 * Client-safe: the browser's provider marks missing keys the same way as the server.
 */
export function missingMessage({ namespace, key }: { namespace?: string; key: string }): string {
  return `⟦${namespace ? `${namespace}.` : ""}${key}⟧`;
}

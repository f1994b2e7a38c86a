/**
 * Strict base64 (RFC 4648 §4: standard alphabet, `=` padding, length a multiple of 4) decoded in
 * one pass of Node's native decoder.
 *
 * zod's `z.base64()` checks with a regular expression, which in a TCG guest costs ~48 ms per MiB
 * of file data, more than everything else a 1 MiB `file_write` does. Node's decoder is lenient
 * instead of strict: it skips characters outside the alphabet (whitespace, `!`, …), stops at a
 * misplaced `=` and also accepts the URL-safe `-` and `_`. So a text is strict base64 exactly when
 * it has neither of those two characters and decodes to as many bytes as its length promises:
 * any skipped or misplaced character makes the output shorter. base64.test.ts holds this
 * against z.base64()'s expression on every short string over a mixed alphabet.
 */
export function decodeBase64(text: string): Buffer | null {
  if (text.length % 4 !== 0) return null;
  if (text.includes("-") || text.includes("_")) return null;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const bytes = Buffer.from(text, "base64");
  return bytes.length === (text.length / 4) * 3 - padding ? bytes : null;
}

/** The length of the base64 text for `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

import { parseDocument, type ErrorCode } from "yaml";

/**
 * The deploy dialog's check of the user-data editor before anything is sent: the server parses it
 * again (server/templates/README.md, "Cloud-init") and refuses the same things, so this only spares
 * a round trip and says where the mistake is. Empty text (or only comments) means "no user-data".
 */
export type UserDataProblem =
  | { kind: "syntax"; code: ErrorCode; line: number; column: number; detail: string }
  /** It parses, but cloud-config is a mapping of keys (`packages:`, `runcmd:` …), not a list or a lone value. */
  | { kind: "notMapping"; found: "list" | "value" };

/** The syntax errors' codes the dialog words itself (templates.userData.codes.*); others show yaml's own sentence. */
export const WORDED_CODES = [
  "BAD_INDENT",
  "BLOCK_AS_IMPLICIT_KEY",
  "DUPLICATE_KEY",
  "MISSING_CHAR",
  "MULTILINE_IMPLICIT_KEY",
  "MULTIPLE_DOCS",
  "TAB_AS_INDENT",
  "UNEXPECTED_TOKEN",
] as const satisfies readonly ErrorCode[];
export type WordedCode = (typeof WORDED_CODES)[number];

export function isWordedCode(code: ErrorCode): code is WordedCode {
  return (WORDED_CODES as readonly ErrorCode[]).includes(code);
}

export function checkUserData(text: string): UserDataProblem | null {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0] ?? { line: 1, col: 1 };
    // yaml's message is "<what> at line L, column C:" followed by the source with a caret; the place is worded by the dialog.
    const detail = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return { kind: "syntax", code: error.code, line: at.line, column: at.col, detail };
  }
  const contents = doc.contents;
  if (contents === null) return null;
  const value: unknown = contents.toJSON();
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return { kind: "notMapping", found: "list" };
  if (typeof value !== "object") return { kind: "notMapping", found: "value" };
  return null;
}

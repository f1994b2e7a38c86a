// Tokenizer for the XDR language as rpcgen reads it (RFC 4506 plus rpcgen's
// `%` passthrough lines and C comments). Comments are kept and attached to
// the next token because libvirt puts procedure annotations (@generate,
// @acl, @readstream…) in the comment before each enum member.

export interface Token {
  kind: "ident" | "number" | "punct" | "eof";
  text: string;
  line: number;
  /** Text of the last comment between the previous token and this one. */
  comment: string;
}

const PUNCT = new Set(["{", "}", "(", ")", "[", "]", "<", ">", ";", ",", "=", "*", ":"]);

export class XdrSyntaxError extends Error {
  override readonly name = "XdrSyntaxError";
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

export function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let comment = "";
  let atLineStart = true;

  const push = (kind: Token["kind"], text: string) => {
    tokens.push({ kind, text, line, comment });
    comment = "";
    atLineStart = false;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === "\n") {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      i++;
      continue;
    }
    // `%` lines go verbatim to rpcgen's C output, `#` lines to cpp: neither is XDR.
    if (atLineStart && (c === "%" || c === "#")) {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end === -1) throw new XdrSyntaxError(file, line, "unterminated comment");
      const text = source.slice(i + 2, end);
      comment = text;
      line += countNewlines(text);
      i = end + 2;
      continue;
    }
    if (source.startsWith("//", i)) {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      comment = source.slice(i + 2, stop);
      i = stop;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 256));
    if (ident) {
      push("ident", ident[0]);
      i += ident[0].length;
      continue;
    }
    const number = /^-?(0[xX][0-9a-fA-F]+|[0-9]+)/.exec(source.slice(i, i + 64));
    if (number) {
      push("number", number[0]);
      i += number[0].length;
      continue;
    }
    if (PUNCT.has(c)) {
      push("punct", c);
      i++;
      continue;
    }
    throw new XdrSyntaxError(file, line, `unexpected character '${c}'`);
  }
  tokens.push({ kind: "eof", text: "", line, comment });
  return tokens;
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === "\n") n++;
  return n;
}

/** Parses an XDR integer literal: decimal, hex (0x) or octal (leading 0). */
export function parseIntLiteral(text: string): number {
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  let value: number;
  if (/^0[xX]/.test(body)) value = parseInt(body.slice(2), 16);
  else if (body.length > 1 && body.startsWith("0")) value = parseInt(body, 8);
  else value = parseInt(body, 10);
  return negative ? -value : value;
}

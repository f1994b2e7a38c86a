// Reads the constants users of libvirt need (domain states, event IDs, list
// flags, error codes, typed-parameter field names…) from libvirt's public C
// headers. Only what the headers define as plain constants is taken:
// `typedef enum {…} name;` blocks and object-like `#define NAME value` where
// the value is a string literal or an integer expression.

export interface CEnum {
  name: string;
  /** `alias` when the member is defined as another constant (VIR_DOMAIN_MEM_CONFIG = VIR_DOMAIN_AFFECT_CONFIG). */
  members: { name: string; value: bigint; alias?: string }[];
}

export interface CHeaderConstants {
  enums: CEnum[];
  /** Integer `#define`s and every enum member, by name. */
  integers: Map<string, bigint>;
  strings: Map<string, string>;
  /** Names in header order, for stable output. */
  order: string[];
}

export function parseCHeaders(sources: { file: string; text: string }[]): CHeaderConstants {
  const result: CHeaderConstants = { enums: [], integers: new Map(), strings: new Map(), order: [] };
  for (const { file, text } of sources) {
    const clean = stripComments(dropSentinels(text)).replace(/\\\n/g, " ");
    for (const item of scan(clean)) {
      if (item.kind === "enum") addEnum(result, item.name, item.body, file);
      else addDefine(result, item.name, item.value);
    }
  }
  return result;
}

type Item = { kind: "enum"; name: string; body: string; at: number } | { kind: "define"; name: string; value: string; at: number };

function scan(text: string): Item[] {
  const items: Item[] = [];
  for (const m of text.matchAll(/typedef\s+enum\s*\w*\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
    items.push({ kind: "enum", name: m[2]!, body: m[1]!, at: m.index });
  }
  // Object-like macros only: a `(` right after the name would make it function-like.
  for (const m of text.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?!\()[ \t]+(.+?)[ \t]*$/gm)) {
    items.push({ kind: "define", name: m[1]!, value: m[2]!, at: m.index });
  }
  return items.sort((a, b) => a.at - b.at);
}

// Sentinel members (…_LAST) change with every release; generated code must not depend on them.
function dropSentinels(text: string): string {
  return text.replace(/#\s*ifdef\s+VIR_ENUM_SENTINELS[\s\S]*?#\s*endif/g, "");
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/[^\n]*/g, "");
}

function addEnum(result: CHeaderConstants, name: string, body: string, file: string): void {
  const members: CEnum["members"] = [];
  let next = 0n;
  for (const raw of body.split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^([A-Za-z_]\w*)\s*(?:=\s*([\s\S]+))?$/.exec(entry);
    if (!m) throw new Error(`${file}: cannot read enum ${name} member '${entry}'`);
    const value = m[2] === undefined ? next : evaluate(m[2], result.integers);
    if (value === undefined) throw new Error(`${file}: cannot evaluate ${m[1]} = ${m[2]} in enum ${name}`);
    const alias = m[2] !== undefined && /^[A-Za-z_]\w*$/.test(m[2].trim()) ? m[2].trim() : undefined;
    members.push({ name: m[1]!, value, ...(alias && { alias }) });
    result.integers.set(m[1]!, value);
    result.order.push(m[1]!);
    next = value + 1n;
  }
  result.enums.push({ name, members });
}

function addDefine(result: CHeaderConstants, name: string, value: string): void {
  const str = /^"((?:[^"\\]|\\.)*)"$/.exec(value);
  if (str) {
    result.strings.set(name, JSON.parse(`"${str[1]!}"`) as string);
    result.order.push(name);
    return;
  }
  const number = evaluate(value, result.integers);
  if (number === undefined) return; // attributes, templates, type names: not constants
  result.integers.set(name, number);
  result.order.push(name);
}

/** Evaluates a C integer constant expression; undefined if it is not one. */
export function evaluate(expr: string, symbols: ReadonlyMap<string, bigint>): bigint | undefined {
  const tokens = expr.match(/0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[()|&^~+\-*/%]|\S/g) ?? [];
  let pos = 0;
  const BINARY: Record<string, [number, (a: bigint, b: bigint) => bigint]> = {
    "|": [1, (a, b) => a | b],
    "^": [2, (a, b) => a ^ b],
    "&": [3, (a, b) => a & b],
    "<<": [4, (a, b) => a << b],
    ">>": [4, (a, b) => a >> b],
    "+": [5, (a, b) => a + b],
    "-": [5, (a, b) => a - b],
    "*": [6, (a, b) => a * b],
    "/": [6, (a, b) => a / b],
    "%": [6, (a, b) => a % b],
  };

  const primary = (): bigint | undefined => {
    const t = tokens[pos++];
    if (t === undefined) return undefined;
    if (t === "(") {
      const v = binary(0);
      return tokens[pos++] === ")" ? v : undefined;
    }
    if (t === "-" || t === "~" || t === "+") {
      const v = primary();
      if (v === undefined) return undefined;
      return t === "-" ? -v : t === "~" ? ~v : v;
    }
    if (/^\d/.test(t)) return BigInt(t.replace(/[uUlL]+$/, ""));
    if (/^[A-Za-z_]/.test(t)) return symbols.get(t);
    return undefined;
  };

  const binary = (minPrec: number): bigint | undefined => {
    let left = primary();
    for (;;) {
      const op = tokens[pos];
      const entry = op === undefined ? undefined : BINARY[op];
      if (left === undefined || !entry || entry[0] < minPrec) return left;
      pos++;
      const right = binary(entry[0] + 1);
      if (right === undefined) return undefined;
      left = entry[1](left, right);
    }
  };

  const value = binary(0);
  return pos === tokens.length ? value : undefined;
}

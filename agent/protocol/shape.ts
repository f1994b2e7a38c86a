/**
 * Checks a host makes on what a guest sends before (and after) JSON.parse. A guest is an
 * untrusted peer, and parsing is where a hostile line costs most: measured on Node 20, a 10 MiB
 * line of 5 million nested arrays took JSON.parse 2.0 s and 288 MB of heap, one of 3.5 million
 * empty objects 0.9 s and 194 MB, while a 10.7 MiB file chunk (one base64 string) took 14 ms.
 * So the structure of a line is counted first, and a line that nests too deeply or holds too
 * many elements is refused unparsed.
 */

export interface ShapeLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Most elements: every `[`, `{` and `,` outside strings counts as one. */
  maxElements: number;
}

/**
 * What the host accepts from the agent: the deepest result is six levels (envelope, result,
 * interfaces, an interface, its addresses, an address), the largest a file_list of 100,000
 * entries at six elements each.
 */
export const AGENT_LINE_SHAPE: ShapeLimits = { maxDepth: 32, maxElements: 1_000_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
/** The fast path counts at most this many commas; a line with more is walked. */
const FEW_COMMAS = 10_000;

/** Why `line` must not be parsed, or null. Malformed JSON passes: JSON.parse refuses it cheaply. */
export function shapeProblem(line: Buffer, limits: ShapeLimits): string | null {
  // The bytes counted anywhere (at memchr speed) bound both figures, so a line with few of them
  // (a file chunk is one long string) is settled without the byte-by-byte walk.
  const brackets = countUpTo(line, OPEN_ARRAY, limits.maxDepth) + countUpTo(line, OPEN_OBJECT, limits.maxDepth);
  if (brackets <= limits.maxDepth && brackets + countUpTo(line, COMMA, FEW_COMMAS) <= Math.min(FEW_COMMAS, limits.maxElements)) {
    return null;
  }
  return walk(line, limits);
}

function walk(line: Buffer, limits: ShapeLimits): string | null {
  let depth = 0;
  let elements = 0;
  for (let at = 0; at < line.length; at++) {
    const byte = line[at];
    if (byte === QUOTE) {
      at = stringEnd(line, at);
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > limits.maxDepth) return `it nests deeper than ${limits.maxDepth} levels`;
      if (++elements > limits.maxElements) return `it holds more than ${limits.maxElements} elements`;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    } else if (byte === COMMA && ++elements > limits.maxElements) {
      return `it holds more than ${limits.maxElements} elements`;
    }
  }
  return null;
}

/** The index of the quote that closes the string opened at `open` (the line's end when none does). */
function stringEnd(line: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = line.indexOf(QUOTE, at + 1);
    if (at < 0) return line.length;
    let backslashes = 0;
    while (line[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** Occurrences of `byte` in `line`, counted up to `limit` + 1. */
function countUpTo(line: Buffer, byte: number, limit: number): number {
  let found = 0;
  for (let at = line.indexOf(byte); at >= 0 && found <= limit; at = line.indexOf(byte, at + 1)) found++;
  return found;
}

/** The line starts a JSON array: a batch. */
export function isBatchLine(line: Buffer): boolean {
  for (const byte of line) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return byte === OPEN_ARRAY;
  }
  return false;
}

export interface JsonBounds {
  maxDepth: number;
  /** Values counted over the whole tree (every array, object, string, number, boolean and null). */
  maxValues: number;
  maxString: number;
}

/** An error's `data` the host keeps: small enough to log and show, shallow enough to serialise. */
export const ERROR_DATA_BOUNDS: JsonBounds = { maxDepth: 8, maxValues: 1_000, maxString: 4_096 };

/** Whether a parsed JSON value stays within the bounds; stops at the first excess. */
export function withinJsonBounds(value: unknown, bounds: JsonBounds): boolean {
  let values = 0;
  const visit = (item: unknown, depth: number): boolean => {
    if (++values > bounds.maxValues) return false;
    if (typeof item === "string") return item.length <= bounds.maxString;
    if (item === null || typeof item !== "object") return true;
    if (depth >= bounds.maxDepth) return false;
    if (Array.isArray(item)) return item.every((child) => visit(child, depth + 1));
    // for…in, not Object.entries: it stops at the first excess without copying a huge object.
    for (const key in item) {
      if (key.length > bounds.maxString || !visit((item as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  return visit(value, 0);
}

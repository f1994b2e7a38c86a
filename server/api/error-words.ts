/**
 * Errors people can read, next to the field they are about. The server answers a refused input
 * with zod's issues (`data.zodIssues`, server/api/trpc.ts) or a ServiceError naming its input
 * (`data.field`); a form names its fields once (path → label, unit) and gets one message in words
 * per field, plus what belongs to no field. zod's own text and its bounds such as
 * 9007199254740991 never reach the page. The server words its own message the same way, for
 * clients that show only the message. Client-safe: no imports.
 */

/** One field of a form: the input's path in the procedure's input (`memoryMiB`, `spec.ipv4.address`, `disks.*.sizeGiB`). */
export interface FieldSpec {
  /** The control's id, where the message is shown. */
  id: string;
  /** The field's label as the form shows it, without units: "Memory". */
  label: string;
  /** The unit a number is in, so bounds read "at most 1 TiB" instead of "at most 1048576". */
  unit?: "bytes" | "MiB" | "GiB";
}

export type FieldMap = Readonly<Record<string, FieldSpec>>;

/** The part of a zod issue the server sends that the words are built from. */
export interface IssueLike {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  origin?: string;
  expected?: string;
  minimum?: number | bigint | string;
  maximum?: number | bigint | string;
  inclusive?: boolean;
  divisor?: number;
}

/** What the tRPC client error carries (see the errorFormatter in server/api/trpc.ts). */
export interface ErrorLike {
  message: string;
  data?: { zodIssues?: readonly IssueLike[] | null; field?: string | null } | null;
}

export interface FieldErrors {
  /** Control id → its message. */
  byField: Readonly<Record<string, string>>;
  /** Problems no field of the form shows, in words; null when there are none. */
  form: string | null;
}

const MULTIPLIER: Record<NonNullable<FieldSpec["unit"]>, number> = { bytes: 1, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** Beyond this a bound is zod's "any safe integer", not a limit anyone chose: it is not shown. */
const HUGE = 2 ** 50;

const BINARY = [
  ["TiB", 1024 ** 4],
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
] as const;

function amount(value: number, spec: FieldSpec): string {
  if (!spec.unit) return value.toLocaleString("en");
  const bytes = value * MULTIPLIER[spec.unit];
  // A bound like 64 MiB reads exactly; others to one decimal.
  const exact = BINARY.find(([, size]) => bytes >= size && bytes % size === 0);
  const unit = exact ?? BINARY.find(([, size]) => bytes >= size) ?? (["bytes", 1] as const);
  return `${(Math.round((bytes / unit[1]) * 10) / 10).toLocaleString("en")} ${unit[0]}`;
}

function num(v: IssueLike["minimum"]): number {
  return Number(v);
}

/** One issue in words, starting with the field's label. */
export function issueWords(issue: IssueLike, spec: FieldSpec): string {
  const label = spec.label;
  const plural = (n: number, word: string) => `${n.toLocaleString("en")} ${word}${n === 1 ? "" : "s"}`;
  switch (issue.code) {
    case "invalid_type":
      if (/received undefined|received null/.test(issue.message)) return `${label} is required.`;
      if (issue.expected === "int") return `${label} must be a whole number.`;
      if (issue.expected === "number") return `${label} must be a number.`;
      return `${label} is not valid.`;
    case "too_small": {
      const min = num(issue.minimum);
      if (issue.origin === "string") return min <= 1 ? `${label} is required.` : `${label} must be at least ${plural(min, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return `${label} needs at least ${min.toLocaleString("en")}.`;
      if (Math.abs(min) >= HUGE) return `${label} is too small.`;
      if (issue.inclusive === false) return min === 0 ? `${label} must be more than 0.` : `${label} must be more than ${amount(min, spec)}.`;
      return `${label} must be at least ${amount(min, spec)}.`;
    }
    case "too_big": {
      const max = num(issue.maximum);
      if (issue.origin === "string") return `${label} must be at most ${plural(max, "character")}.`;
      if (issue.origin === "array" || issue.origin === "set") return `${label} can have at most ${max.toLocaleString("en")}.`;
      if (Math.abs(max) >= HUGE) return `${label} is too large.`;
      return issue.inclusive === false ? `${label} must be less than ${amount(max, spec)}.` : `${label} must be at most ${amount(max, spec)}.`;
    }
    case "not_multiple_of":
      return `${label} must be a multiple of ${amount(issue.divisor ?? 1, spec)}.`;
    case "invalid_format":
      // Our schemas describe the expected form in words ("1–64 letters, digits, …"); zod's own default starts with "Invalid".
      return /^Invalid/.test(issue.message) ? `${label} is not in the expected form.` : `${label} must be ${issue.message}.`;
    case "invalid_value":
      return `${label}: choose one of the offered values.`;
    case "custom":
      return /^Invalid/.test(issue.message) ? `${label} is not valid.` : `${label}: ${issue.message}.`;
    default:
      return `${label} is not valid.`;
  }
}

/** `disks.0.sizeGiB` → `disks.*.sizeGiB`: forms name list items' fields once. */
function pathKey(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === "number" ? "*" : String(p))).join(".");
}

/** The field a path belongs to: the path itself, or the nearest enclosing one the form names. */
function fieldFor(path: string, fields: FieldMap): FieldSpec | undefined {
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const spec = fields[parts.slice(0, n).join(".")];
    if (spec) return spec;
  }
  return undefined;
}

/** A field's words for a whole path, for what no field of the form shows: "spec.ipv4.prefix" → "ipv4 prefix". */
function pathWords(path: string): string {
  const words = path
    .split(".")
    .filter((p) => p !== "*" && p !== "spec")
    .map((p) => p.replace(/([a-z])([A-Z][a-z])/g, "$1 $2"))
    .join(" ");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "The input";
}

/** The server's refusal as one message per field (the first problem of each) and the rest for the form. */
export function fieldErrors(error: ErrorLike | null | undefined, fields: FieldMap): FieldErrors {
  if (!error) return { byField: {}, form: null };
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  const issues = error.data?.zodIssues;
  if (issues && issues.length > 0) {
    for (const issue of issues) {
      const key = pathKey(issue.path);
      const spec = fieldFor(key, fields);
      if (spec) {
        byField[spec.id] ??= issueWords(issue, spec);
      } else {
        const words = issueWords(issue, { id: "", label: pathWords(key) });
        if (!rest.includes(words)) rest.push(words);
      }
    }
    return { byField, form: rest.length ? rest.join(" ") : null };
  }
  const spec = error.data?.field ? fieldFor(error.data.field, fields) : undefined;
  if (spec) return { byField: { [spec.id]: error.message }, form: null };
  return { byField: {}, form: error.message };
}

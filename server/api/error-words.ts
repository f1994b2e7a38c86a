/**
 * Errors people can read, next to the field they are about. The server answers a refused input
 * with zod's issues (`data.zodIssues`, server/api/trpc.ts) or a ServiceError naming its input
 * (`data.field`); a form names its fields once (path → label, unit) and gets one message in words
 * per field, plus what belongs to no field. zod's own text and its bounds such as
 * 9007199254740991 never reach the page. The server words its own message the same way, for
 * clients that show only the message, in English. Client-safe: only a type is imported.
 */
import type { useTranslations } from "next-intl";

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

/**
 * The "errors" namespace's translator: the page's (useTranslations("errors")) or, for the server's
 * own message, English (server/api/english-errors.ts). Numbers are formatted in its locale.
 */
export type ErrorsT = ReturnType<typeof useTranslations<"errors">>;

function amount(value: number, spec: FieldSpec, t: ErrorsT): string {
  if (!spec.unit) return t("amount.number", { value });
  const bytes = value * MULTIPLIER[spec.unit];
  // A bound like 64 MiB reads exactly; others to one decimal.
  const exact = BINARY.find(([, size]) => bytes >= size && bytes % size === 0);
  const unit = exact ?? BINARY.find(([, size]) => bytes >= size);
  if (!unit) return t("amount.bytes", { value: bytes });
  return t("amount.unit", { value: Math.round((bytes / unit[1]) * 10) / 10, unit: unit[0] });
}

function num(v: IssueLike["minimum"]): number {
  return Number(v);
}

/** One issue in words, starting with the field's label. */
export function issueWords(issue: IssueLike, spec: FieldSpec, t: ErrorsT): string {
  const label = spec.label;
  switch (issue.code) {
    case "invalid_type":
      if (/received undefined|received null/.test(issue.message)) return t("issue.required", { label });
      if (issue.expected === "int") return t("issue.wholeNumber", { label });
      if (issue.expected === "number") return t("issue.number", { label });
      return t("issue.invalid", { label });
    case "too_small": {
      const min = num(issue.minimum);
      if (issue.origin === "string") return min <= 1 ? t("issue.required", { label }) : t("issue.minLength", { label, count: min });
      if (issue.origin === "array" || issue.origin === "set") return t("issue.minItems", { label, count: min });
      if (Math.abs(min) >= HUGE) return t("issue.tooSmall", { label });
      if (issue.inclusive === false) return min === 0 ? t("issue.moreThanZero", { label }) : t("issue.moreThan", { label, amount: amount(min, spec, t) });
      return t("issue.atLeast", { label, amount: amount(min, spec, t) });
    }
    case "too_big": {
      const max = num(issue.maximum);
      if (issue.origin === "string") return t("issue.maxLength", { label, count: max });
      if (issue.origin === "array" || issue.origin === "set") return t("issue.maxItems", { label, count: max });
      if (Math.abs(max) >= HUGE) return t("issue.tooLarge", { label });
      return issue.inclusive === false
        ? t("issue.lessThan", { label, amount: amount(max, spec, t) })
        : t("issue.atMost", { label, amount: amount(max, spec, t) });
    }
    case "not_multiple_of":
      return t("issue.multipleOf", { label, amount: amount(issue.divisor ?? 1, spec, t) });
    case "invalid_format":
      // Our schemas describe the expected form in words ("1–64 letters, digits, …"); zod's own default starts with "Invalid".
      return /^Invalid/.test(issue.message) ? t("issue.notExpectedForm", { label }) : t("issue.mustBe", { label, rule: issue.message });
    case "invalid_value":
      return t("issue.chooseOffered", { label });
    case "custom":
      return /^Invalid/.test(issue.message) ? t("issue.invalid", { label }) : t("issue.custom", { label, rule: issue.message });
    default:
      return t("issue.invalid", { label });
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

/** A field's words for a whole path, for what no field of the form shows: "spec.ipv4.prefix" → "Ipv4 prefix" (the input's own names). */
function pathWords(path: string, t: ErrorsT): string {
  const words = path
    .split(".")
    .filter((p) => p !== "*" && p !== "spec")
    .map((p) => p.replace(/([a-z])([A-Z][a-z])/g, "$1 $2"))
    .join(" ");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : t("theInput");
}

/** The server's refusal as one message per field (the first problem of each) and the rest for the form, in `t`'s language. */
export function fieldErrors(error: ErrorLike | null | undefined, fields: FieldMap, t: ErrorsT): FieldErrors {
  if (!error) return { byField: {}, form: null };
  const byField: Record<string, string> = {};
  const rest: string[] = [];
  const issues = error.data?.zodIssues;
  if (issues && issues.length > 0) {
    for (const issue of issues) {
      const key = pathKey(issue.path);
      const spec = fieldFor(key, fields);
      if (spec) {
        byField[spec.id] ??= issueWords(issue, spec, t);
      } else {
        const words = issueWords(issue, { id: "", label: pathWords(key, t) }, t);
        if (!rest.includes(words)) rest.push(words);
      }
    }
    return { byField, form: rest.length ? rest.join(" ") : null };
  }
  const spec = error.data?.field ? fieldFor(error.data.field, fields) : undefined;
  if (spec) return { byField: { [spec.id]: error.message }, form: null };
  return { byField: {}, form: error.message };
}

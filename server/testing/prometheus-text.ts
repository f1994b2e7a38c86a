/**
 * A strict parser of Prometheus's text exposition format 0.0.4, for tests: it throws, naming the
 * line, on anything the format does not allow, instead of guessing as scrapers sometimes do.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details
 *
 * Checked: the text ends in a line feed; `# HELP` and `# TYPE` at most once per metric, TYPE
 * before the metric's first sample and with a known type; metric and label names by their
 * grammar; label values and HELP text with only the escapes the format defines; no label twice in
 * a sample; a value Go's ParseFloat accepts (NaN, +Inf, -Inf included); an optional integer
 * timestamp; every sample of a family together; no series twice.
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | null;
}

export interface ParsedFamily {
  name: string;
  help: string | null;
  type: string | null;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
/** What Go's strconv.ParseFloat accepts in decimal (Prometheus's parser uses it), and the special values. */
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)$/;
const TIMESTAMP = /^-?\d+$/;

/** The family a sample belongs to: histograms and summaries write `_bucket`, `_sum`, `_count` samples. */
function familyOf(sampleName: string, families: Map<string, ParsedFamily>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = families.get(sampleName.slice(0, -suffix.length));
    if (base && (base.type === "histogram" || base.type === "summary")) return base.name;
  }
  return sampleName;
}

function unescape(text: string, allowed: Record<string, string>, where: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== "\\") {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined || !(next in allowed)) throw new Error(`${where}: invalid escape \\${next ?? ""}`);
    out += allowed[next];
    i++;
  }
  return out;
}

function parseFloatStrict(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: "${text}" is not a float`);
  if (/^[+-]?inf$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return Number(text);
}

/** Reads `{a="x",b="y"}` from `line` at `start` (the brace); returns the labels and the index after the closing brace. */
function parseLabels(line: string, start: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    if (line[i] === "}") return { labels, end: i + 1 };
    const eq = line.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = line.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: invalid label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label "${name}" twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label "${name}" value is not quoted`);
    let j = eq + 2;
    let raw = "";
    for (;;) {
      const ch = line[j];
      if (ch === undefined) throw new Error(`${where}: unterminated value of label "${name}"`);
      if (ch === '"') break;
      if (ch === "\\") {
        raw += ch + (line[j + 1] ?? "");
        j += 2;
        continue;
      }
      raw += ch;
      j++;
    }
    labels[name] = unescape(raw, { "\\": "\\", '"': '"', n: "\n" }, `${where}: label "${name}"`);
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`${where}: expected "," or "}" after label "${name}"`);
  }
}

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the text does not end in a line feed");
  const families = new Map<string, ParsedFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, help: null, type: null, samples: [] }));
    return f;
  };
  const finished = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const lines = text.split("\n").slice(0, -1);

  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
      // Any other comment is allowed and means nothing.
      if (!m) return;
      const [, keyword, name, rest = ""] = m;
      if (!METRIC_NAME.test(name!)) throw new Error(`${where}: invalid metric name "${name}"`);
      const f = family(name!);
      if (keyword === "HELP") {
        if (f.help !== null) throw new Error(`${where}: second HELP for ${name}`);
        f.help = unescape(rest, { "\\": "\\", n: "\n" }, `${where}: HELP of ${name}`);
      } else {
        if (f.type !== null) throw new Error(`${where}: second TYPE for ${name}`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE for ${name} after its samples`);
        if (!TYPES.has(rest.trim())) throw new Error(`${where}: unknown type "${rest}" for ${name}`);
        f.type = rest.trim();
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`${where}: a sample must start with a metric name: ${JSON.stringify(line)}`);
    const name = nameMatch[0];
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === "{") ({ labels, end: rest } = parseLabels(line, rest, where));
    const fields = line
      .slice(rest)
      .trim()
      .split(/[ \t]+/);
    if (!/^[ \t]/.test(line.slice(rest)) || fields.length < 1 || fields.length > 2 || fields[0] === "") {
      throw new Error(`${where}: expected " value [timestamp]" after ${name}: ${JSON.stringify(line)}`);
    }
    const value = parseFloatStrict(fields[0]!, where);
    if (fields[1] !== undefined && !TIMESTAMP.test(fields[1])) throw new Error(`${where}: timestamp "${fields[1]}" is not an integer`);
    const timestamp = fields[1] === undefined ? null : Number(fields[1]);

    const familyName = familyOf(name, families);
    if (current !== familyName) {
      if (finished.has(familyName)) throw new Error(`${where}: samples of ${familyName} are not together`);
      if (current !== null) finished.add(current);
      current = familyName;
    }
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(",")}}`;
    if (series.has(key)) throw new Error(`${where}: series ${key} twice`);
    series.add(key);
    family(familyName).samples.push({ name, labels, value, timestamp });
  });
  return families;
}

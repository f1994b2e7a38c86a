import * as z from "zod/mini";
import { ErrorCode, errorCodeMeanings, type ErrorCodeName } from "./errors";
import { methodNames, methods } from "./methods";
import { notifications } from "./notifications";

/** The generated part of PROTOCOL.md sits between these markers; a test keeps it equal to the method table. */
export const GENERATED_BEGIN = "<!-- generated from agent/protocol by `node --import tsx agent/protocol/write-docs.ts`; do not edit by hand -->";
export const GENERATED_END = "<!-- end of generated part -->";

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  format?: string;
  contentEncoding?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
};

/** `≤ 4,096`: the bound a string's length or a list's entries must keep to (bounds.ts). */
function bound(max: number | undefined): string | null {
  return max === undefined ? null : `≤ ${max.toLocaleString("en-US")}`;
}

function typeName(schema: JsonSchema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${JSON.stringify(value)}\``).join(" \\| ");
  if (schema.anyOf) return schema.anyOf.map(typeName).join(" \\| ");
  if (Array.isArray(schema.type)) return schema.type.join(" \\| ");
  if (schema.type === "array") {
    const items = schema.items ?? {};
    // A list of bounded strings reads `string[] (≤ 64, each ≤ 64)` rather than `string (≤ 64)[] (≤ 64)`.
    const each = items.type === "string" && !items.format && items.maxLength !== undefined ? `each ${bound(items.maxLength)}` : null;
    const notes = [bound(schema.maxItems), each].filter((note) => note);
    const name = `${each ? "string" : typeName(items)}[]`;
    return notes.length === 0 ? name : `${name} (${notes.join(", ")})`;
  }
  if (schema.type === "object" && typeof schema.additionalProperties === "object") {
    return `object of ${typeName(schema.additionalProperties)}`;
  }
  if (schema.type === "string") {
    const notes = [schema.format, schema.contentEncoding, bound(schema.maxLength)].filter((note) => note);
    return notes.length === 0 ? "string" : `string (${notes.join(", ")})`;
  }
  return typeof schema.type === "string" ? schema.type : "any";
}

function rows(schema: JsonSchema, prefix = ""): string[] {
  const lines: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const required = schema.required?.includes(name) ? "yes" : "no";
    lines.push(`| \`${prefix}${name}\` | ${typeName(property)} | ${required} | ${property.description ?? ""} |`);
    if (property.properties) lines.push(...rows(property, `${prefix}${name}.`));
    if (property.type === "array" && property.items?.properties) lines.push(...rows(property.items, `${prefix}${name}[].`));
  }
  return lines;
}

function fieldTable(schema: z.ZodMiniType, io: "input" | "output"): string {
  const body = rows(z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema);
  if (body.length === 0) return "_none_";
  return ["| field | type | required | notes |", "|---|---|---|---|", ...body].join("\n");
}

function json(value: unknown): string {
  return ["```json", JSON.stringify(value), "```"].join("\n");
}

function methodSection(name: (typeof methodNames)[number], index: number): string {
  const spec = methods[name];
  return [
    `### \`${name}\``,
    "",
    `${spec.summary} Capability: \`${spec.capability}\`.`,
    "",
    "**Params**",
    "",
    fieldTable(spec.params, "input"),
    "",
    "**Result**",
    "",
    fieldTable(spec.result, "output"),
    "",
    "**Example**",
    "",
    json({ jsonrpc: "2.0", id: index + 1, method: name, params: spec.example.params }),
    json({ jsonrpc: "2.0", id: index + 1, result: spec.example.result }),
  ].join("\n");
}

function notificationSection(name: keyof typeof notifications): string {
  const spec = notifications[name];
  return [
    `### \`${name}\``,
    "",
    spec.summary,
    "",
    "**Params**",
    "",
    fieldTable(spec.params, "output"),
    "",
    "**Example**",
    "",
    json({ jsonrpc: "2.0", method: name, params: spec.example }),
  ].join("\n");
}

function errorTable(): string {
  const lines = (Object.keys(ErrorCode) as ErrorCodeName[]).map((name) => `| ${ErrorCode[name]} | ${name} | ${errorCodeMeanings[name]} |`);
  return ["| code | name | meaning |", "|---|---|---|", ...lines].join("\n");
}

export function renderReference(): string {
  return [
    GENERATED_BEGIN,
    "",
    "## Error codes",
    "",
    errorTable(),
    "",
    "## Methods",
    "",
    methodNames.map(methodSection).join("\n\n"),
    "",
    "## Notifications (agent → host)",
    "",
    (Object.keys(notifications) as Array<keyof typeof notifications>).map(notificationSection).join("\n\n"),
    "",
    GENERATED_END,
  ].join("\n");
}

/** Replaces the generated part of a PROTOCOL.md text, keeping the hand-written prose around it. */
export function withReference(document: string): string {
  const begin = document.indexOf(GENERATED_BEGIN);
  const end = document.indexOf(GENERATED_END);
  if (begin < 0 || end < begin) throw new Error("PROTOCOL.md lacks the generated-part markers");
  return document.slice(0, begin) + renderReference() + document.slice(end + GENERATED_END.length);
}

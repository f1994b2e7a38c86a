// Emits generated/protocol.ts: the protocol files' constants, a TypeScript
// type for every XDR type, and an encoder/decoder pair for each.
import type { BaseType, Declaration, Definition, Value } from "./ast";
import type { ProtocolModel, TypeDefinition } from "./model";
import { fieldName, typeName } from "./names";

const UNBOUNDED = 0xffff_ffff;

export function emitProtocol(model: ProtocolModel): string {
  const out: string[] = ["import { XdrError, type XdrReader, type XdrWriter } from '../xdr';", ""];
  for (const file of model.files) {
    out.push(`// ---- ${file.file} ----`, "");
    for (const def of file.definitions) out.push(...emitDefinition(model, def), "");
  }
  return out.join("\n");
}

function emitDefinition(model: ProtocolModel, def: Definition): string[] {
  switch (def.kind) {
    case "const":
      return [`export const ${def.name} = ${model.resolve(def.value)};`];
    case "enum":
      return [
        `/** XDR enum ${def.name}. */`,
        `export type ${typeName(def.name)} = number;`,
        ...def.members.map((m) => `export const ${m.name} = ${model.resolve(m.value)};`),
      ];
    case "typedef":
      return emitTypedef(model, def.decl);
    case "struct":
      return emitStruct(model, def.name, def.fields);
    case "union":
      return emitUnion(model, def);
  }
}

function emitTypedef(model: ProtocolModel, decl: Declaration): string[] {
  const name = typeName(decl.name);
  return [
    `/** XDR typedef ${decl.name}. */`,
    `export type ${name} = ${tsType(model, decl)};`,
    `export function encode${name}(w: XdrWriter, v: ${name}): void {`,
    `  ${encodeStatement(model, decl, "v")}`,
    "}",
    `export function decode${name}(r: XdrReader): ${name} {`,
    `  return ${decodeExpression(model, decl)};`,
    "}",
  ];
}

function emitStruct(model: ProtocolModel, cName: string, fields: Declaration[]): string[] {
  const name = typeName(cName);
  const names = fields.map((f) => fieldName(f.name));
  if (new Set(names).size !== names.length) throw new Error(`struct ${cName}: field names collide in camelCase`);
  return [
    `/** XDR struct ${cName}. */`,
    `export interface ${name} {`,
    ...fields.map((f, i) => `  ${names[i]}: ${tsType(model, f)};`),
    "}",
    `export function encode${name}(w: XdrWriter, v: ${name}): void {`,
    ...fields.map((f, i) => `  ${encodeStatement(model, f, `v.${names[i]}`)}`),
    "}",
    `export function decode${name}(r: XdrReader): ${name} {`,
    "  return {",
    ...fields.map((f, i) => `    ${names[i]}: ${decodeExpression(model, f)},`),
    "  };",
    "}",
  ];
}

function emitUnion(model: ProtocolModel, def: Extract<Definition, { kind: "union" }>): string[] {
  const name = typeName(def.name);
  const disc = fieldName(def.discriminant.name);
  if (def.discriminant.shape.kind !== "scalar" || !isIntegral(model, def.discriminant.type)) {
    throw new Error(`union ${def.name}: the discriminant must be an int, unsigned int or enum`);
  }
  const arms = def.arms.map((arm) => ({ values: arm.cases.map((c) => model.resolve(c)), decl: arm.decl }));
  const variants = arms.map(({ values, decl }) => variant(model, disc, values.join(" | "), decl));
  if (def.defaultArm !== undefined) variants.push(variant(model, disc, "number", def.defaultArm));

  const writeDisc = `${encodeScalar(model, def.discriminant.type, `v.${disc}`)};`;
  const encodeCases = arms.flatMap(({ values, decl }) => [
    ...values.map((v) => `    case ${v}:`),
    ...(decl ? [`      ${encodeStatement(model, decl, `v.${fieldName(decl.name)}`)}`] : []),
    "      return;",
  ]);
  const decodeCases = arms.flatMap(({ values, decl }) => [
    ...values.map((v) => `    case ${v}:`),
    `      return { ${disc}: ${disc} as ${values.join(" | ")}${decl ? `, ${fieldName(decl.name)}: ${decodeExpression(model, decl)}` : ""} };`,
  ]);
  const encodeDefault =
    def.defaultArm === undefined
      ? [`      throw new XdrError(\`${def.name}: no arm for ${disc} \${String((v as { ${disc}: unknown }).${disc})}\`);`]
      : [...(def.defaultArm ? [`      ${encodeStatement(model, def.defaultArm, `v.${fieldName(def.defaultArm.name)}`)}`] : [])];
  const decodeDefault =
    def.defaultArm === undefined
      ? [`      throw new XdrError(\`${def.name}: no arm for ${disc} \${${disc}}\`);`]
      : [`      return { ${disc}${def.defaultArm ? `, ${fieldName(def.defaultArm.name)}: ${decodeExpression(model, def.defaultArm)}` : ""} };`];

  return [
    `/** XDR union ${def.name}, discriminated by \`${disc}\`. */`,
    `export type ${name} =`,
    ...variants.map((v, i) => `  | ${v}${i === variants.length - 1 ? ";" : ""}`),
    `export function encode${name}(w: XdrWriter, v: ${name}): void {`,
    `  ${writeDisc}`,
    `  switch (v.${disc}) {`,
    ...encodeCases,
    "    default:",
    ...encodeDefault,
    "  }",
    "}",
    `export function decode${name}(r: XdrReader): ${name} {`,
    `  const ${disc} = ${decodeScalar(model, def.discriminant.type)};`,
    `  switch (${disc}) {`,
    ...decodeCases,
    "    default:",
    ...decodeDefault,
    "  }",
    "}",
  ];
}

function variant(model: ProtocolModel, disc: string, discType: string, decl: Declaration | null): string {
  return decl ? `{ ${disc}: ${discType}; ${fieldName(decl.name)}: ${tsType(model, decl)} }` : `{ ${disc}: ${discType} }`;
}

function lookup(model: ProtocolModel, name: string): TypeDefinition {
  const def = model.types.get(name);
  if (!def) throw new Error(`unknown type ${name}`);
  return def;
}

function isEnum(model: ProtocolModel, type: BaseType): boolean {
  return type.kind === "named" && lookup(model, type.name).kind === "enum";
}

function isIntegral(model: ProtocolModel, type: BaseType): boolean {
  return type.kind === "int" || type.kind === "uint" || isEnum(model, type);
}

function size(model: ProtocolModel, value: Value | null): number {
  return value === null ? UNBOUNDED : model.resolve(value);
}

// Typedefs of plain types (remote_nonnull_string, remote_string, remote_uuid…)
// are spelled out so that editors show `string | null`, not an alias chain.
function scalarTsType(model: ProtocolModel, type: BaseType, qualifier: string): string {
  switch (type.kind) {
    case "int":
    case "uint":
    case "char":
    case "uchar":
    case "float":
    case "double":
      return "number";
    case "hyper":
    case "uhyper":
      return "bigint";
    case "bool":
      return "boolean";
    case "string":
      return "string";
    case "opaque":
      return "Buffer";
    case "named": {
      const def = lookup(model, type.name);
      if (def.kind === "enum") return "number";
      if (def.kind === "typedef") return tsType(model, def.decl, qualifier);
      return qualifier + typeName(type.name);
    }
  }
}

/** The TypeScript type of a declaration; `qualifier` prefixes generated type names (e.g. `p.`). */
export function tsType(model: ProtocolModel, decl: Declaration, qualifier = ""): string {
  const { type, shape } = decl;
  if (type.kind === "string" || type.kind === "opaque") return scalarTsType(model, type, qualifier);
  if ((type.kind === "char" || type.kind === "uchar") && (shape.kind === "fixed" || shape.kind === "var")) return "string";
  const elem = scalarTsType(model, type, qualifier);
  switch (shape.kind) {
    case "scalar":
      return elem;
    case "fixed":
    case "var":
      return elem.includes(" ") ? `(${elem})[]` : `${elem}[]`;
    case "optional":
      return `${elem} | null`;
  }
}

function encodeScalar(model: ProtocolModel, type: BaseType, expr: string): string {
  switch (type.kind) {
    case "int":
    case "char":
      return `w.int(${expr})`;
    case "uint":
    case "uchar":
      return `w.uint(${expr})`;
    case "hyper":
    case "uhyper":
    case "float":
    case "double":
    case "bool":
      return `w.${type.kind}(${expr})`;
    case "named":
      return isEnum(model, type) ? `w.int(${expr})` : `encode${typeName(type.name)}(w, ${expr})`;
    case "string":
    case "opaque":
      throw new Error(`${type.kind} needs a length`);
  }
}

function decodeScalar(model: ProtocolModel, type: BaseType): string {
  switch (type.kind) {
    case "int":
    case "char":
      return "r.int()";
    case "uint":
    case "uchar":
      return "r.uint()";
    case "hyper":
    case "uhyper":
    case "float":
    case "double":
    case "bool":
      return `r.${type.kind}()`;
    case "named":
      return isEnum(model, type) ? "r.int()" : `decode${typeName(type.name)}(r)`;
    case "string":
    case "opaque":
      throw new Error(`${type.kind} needs a length`);
  }
}

function elementEncoder(model: ProtocolModel, type: BaseType): string {
  if (type.kind === "named" && !isEnum(model, type)) return `encode${typeName(type.name)}`;
  return `(w, x) => ${encodeScalar(model, type, "x")}`;
}

function elementDecoder(model: ProtocolModel, type: BaseType): string {
  if (type.kind === "named" && !isEnum(model, type)) return `decode${typeName(type.name)}`;
  return `(r) => ${decodeScalar(model, type)}`;
}

/** Strings, opaque data and char arrays are read and written whole, by one reader/writer method. */
function byteCall(model: ProtocolModel, decl: Declaration): { method: string; size: string | number } | null {
  const { type, shape } = decl;
  const bytes = type.kind === "string" || type.kind === "opaque" || type.kind === "char" || type.kind === "uchar";
  if (!bytes || (shape.kind !== "fixed" && shape.kind !== "var")) return null;
  const n = shape.kind === "fixed" ? model.resolve(shape.size) : size(model, shape.max);
  const method = type.kind === "string" ? "string" : type.kind === "opaque" ? `opaque${cap(shape.kind)}` : `chars${cap(shape.kind)}`;
  return { method, size: n };
}

export function encodeStatement(model: ProtocolModel, decl: Declaration, expr: string): string {
  const { type, shape } = decl;
  const bytes = byteCall(model, decl);
  if (bytes) return `w.${bytes.method}(${expr}, ${bytes.size});`;
  switch (shape.kind) {
    case "scalar":
      return `${encodeScalar(model, type, expr)};`;
    case "fixed":
      return `w.fixedArray(${expr}, ${model.resolve(shape.size)}, ${elementEncoder(model, type)});`;
    case "var":
      return `w.array(${expr}, ${size(model, shape.max)}, ${elementEncoder(model, type)});`;
    case "optional":
      return `w.optional(${expr}, ${elementEncoder(model, type)});`;
  }
}

export function decodeExpression(model: ProtocolModel, decl: Declaration): string {
  const { type, shape } = decl;
  const bytes = byteCall(model, decl);
  if (bytes) return `r.${bytes.method}(${bytes.size})`;
  switch (shape.kind) {
    case "scalar":
      return decodeScalar(model, type);
    case "fixed":
      return `r.fixedArray(${model.resolve(shape.size)}, ${elementDecoder(model, type)})`;
    case "var":
      return `r.array(${size(model, shape.max)}, ${elementDecoder(model, type)})`;
    case "optional":
      return `r.optional(${elementDecoder(model, type)})`;
  }
}

function cap(s: string): string {
  return s === "fixed" ? "Fixed" : "Var";
}

// Joins the parsed protocol files and C header constants into what the
// emitters need: resolved constants, type definitions by name, and the
// procedures of each program with their annotations.
import type { Definition, ProtocolFile, Value } from "./ast";
import type { CHeaderConstants } from "./c-headers";
import { procStructName } from "./names";

export type TypeDefinition = Exclude<Definition, { kind: "const" }>;

export interface Procedure {
  /** C constant, e.g. REMOTE_PROC_DOMAIN_GET_XML_DESC. */
  name: string;
  number: number;
  args: string | null;
  ret: string | null;
  /** Set for server→client messages (events). */
  msg: string | null;
  /** From @readstream / @writestream: the call opens a data stream. */
  stream: "read" | "write" | null;
  acl: string[];
}

export interface Program {
  /** `remote`, `qemu`, `keepalive`. */
  prefix: string;
  number: number;
  version: number;
  procedures: Procedure[];
}

export interface ProtocolModel {
  files: ProtocolFile[];
  /** Type definitions in file order (dependency order in libvirt's files). */
  types: Map<string, TypeDefinition>;
  programs: Program[];
  headers: CHeaderConstants;
  resolve(value: Value): number;
}

export function buildModel(files: ProtocolFile[], headers: CHeaderConstants): ProtocolModel {
  const constants = new Map<string, Value>();
  const types = new Map<string, TypeDefinition>();
  for (const file of files) {
    for (const def of file.definitions) {
      if (def.kind === "const") {
        constants.set(def.name, def.value);
        continue;
      }
      const name = def.kind === "typedef" ? def.decl.name : def.name;
      if (types.has(name)) throw new Error(`${file.file}: type ${name} defined twice`);
      types.set(name, def);
      if (def.kind === "enum") for (const m of def.members) constants.set(m.name, m.value);
    }
  }

  const resolve = (value: Value, seen: string[] = []): number => {
    if ("num" in value) return value.num;
    if (seen.includes(value.ident)) throw new Error(`constant cycle: ${[...seen, value.ident].join(" → ")}`);
    const local = constants.get(value.ident);
    if (local) return resolve(local, [...seen, value.ident]);
    const fromHeader = headers.integers.get(value.ident);
    if (fromHeader === undefined) throw new Error(`unknown constant ${value.ident}`);
    return Number(fromHeader);
  };

  const programs: Program[] = [];
  for (const [prefix, enumName] of [
    ["remote", "remote_procedure"],
    ["qemu", "qemu_procedure"],
    ["keepalive", "keepalive_procedure"],
  ] as const) {
    const procEnum = types.get(enumName);
    if (!procEnum || procEnum.kind !== "enum") throw new Error(`procedure enum ${enumName} missing`);
    const upper = prefix.toUpperCase();
    programs.push({
      prefix,
      number: resolve({ ident: `${upper}_PROGRAM` }),
      version: resolve({ ident: `${upper}_PROTOCOL_VERSION` }),
      procedures: procEnum.members.map((m) => ({
        name: m.name,
        number: resolve(m.value),
        args: structIfPresent(types, procStructName(m.name, "args")),
        ret: structIfPresent(types, procStructName(m.name, "ret")),
        msg: structIfPresent(types, procStructName(m.name, "msg")),
        stream: streamDirection(m.comment),
        acl: annotations(m.comment, "acl"),
      })),
    });
  }
  return { files, types, programs, headers, resolve: (v) => resolve(v) };
}

function structIfPresent(types: Map<string, TypeDefinition>, name: string): string | null {
  return types.get(name)?.kind === "struct" ? name : null;
}

function annotations(comment: string, key: string): string[] {
  const re = new RegExp(`@${key}:\\s*(\\S+)`, "g");
  return [...comment.matchAll(re)].map((m) => m[1]!);
}

function streamDirection(comment: string): Procedure["stream"] {
  if (annotations(comment, "readstream").length > 0) return "read";
  if (annotations(comment, "writestream").length > 0) return "write";
  return null;
}

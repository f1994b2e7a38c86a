// Emits generated/procedures.ts: an abstract class with one typed method per
// callable procedure of the REMOTE and QEMU programs. The runtime subclass
// supplies `call` (send, wait for the reply) and `callStream` (same, plus a
// data stream). Events (procedures with a `_msg` struct) and the KEEPALIVE
// program are messages, not calls, so they get no method. A flag parameter
// whose enum is known (flag-types.ts) takes only that enum's constants or 0.
import type { FlagType, FlagTypes } from "./flag-types";
import type { Procedure, Program, ProtocolModel } from "./model";
import { tsType } from "./emit-protocol";
import { fieldName, flagTypeName, methodName, typeName } from "./names";

const CALLABLE_PROGRAMS = new Set(["remote", "qemu"]);

export function emitProcedures(model: ProtocolModel, flagTypes: FlagTypes): string {
  const methods = model.programs
    .filter((prog) => CALLABLE_PROGRAMS.has(prog.prefix))
    .flatMap((prog) => prog.procedures.filter((proc) => !proc.msg).flatMap((proc) => emitMethod(model, flagTypes, prog, proc)));
  return [
    "import type { XdrReader, XdrWriter } from '../xdr';",
    "import type * as c from './constants';",
    "import * as p from './protocol';",
    "",
    "/** One procedure call as the runtime puts it on the wire. */",
    "export interface ProcedureCall<A, R> {",
    "  program: number;",
    "  version: number;",
    "  procedure: number;",
    "  /** The method name, for errors and logs. */",
    "  name: string;",
    "  args: A;",
    "  encode: ((w: XdrWriter, args: A) => void) | null;",
    "  /** null when the procedure returns nothing. */",
    "  decode: ((r: XdrReader) => R) | null;",
    "}",
    "",
    "/**",
    " * Every libvirt procedure as a typed method. Arguments are the `_args` struct;",
    " * the result is the `_ret` struct, or its only field when it has just one.",
    " * `S` is the runtime's stream type, returned by procedures that open a stream.",
    " */",
    "export abstract class LibvirtProcedures<S> {",
    "  protected abstract call<A, R>(call: ProcedureCall<A, R>): Promise<R>;",
    "  protected abstract callStream<A, R>(call: ProcedureCall<A, R>): Promise<{ ret: R; stream: S }>;",
    "",
    ...methods,
    "}",
    "",
  ].join("\n");
}

function emitMethod(model: ProtocolModel, flagTypes: FlagTypes, prog: Program, proc: Procedure): string[] {
  const name = methodName(proc.name);
  const argsType = proc.args ? argsTypeOf(model, flagTypes, proc.name, proc.args) : null;
  const { retType, decode } = returnShape(model, proc);
  const call = [
    `program: 0x${prog.number.toString(16)}`,
    `version: ${prog.version}`,
    `procedure: ${proc.number}`,
    `name: '${name}'`,
    `args${argsType ? "" : ": undefined"}`,
    `encode: ${proc.args ? `p.encode${typeName(proc.args)}` : "null"}`,
    `decode: ${decode}`,
  ].join(", ");
  const param = argsType ? `args: ${argsType}` : "";
  const doc = [
    "  /**",
    `   * ${proc.name} (${proc.number})${proc.stream ? `, opens a ${proc.stream} stream` : ""}`,
    ...(proc.acl.length ? [`   * ACL: ${proc.acl.join(", ")}`] : []),
    "   */",
  ];
  if (!proc.stream) {
    return [...doc, `  ${name}(${param}): Promise<${retType}> {`, `    return this.call({ ${call} });`, "  }", ""];
  }
  if (!proc.ret) {
    return [...doc, `  ${name}(${param}): Promise<S> {`, `    return this.callStream({ ${call} }).then((c) => c.stream);`, "  }", ""];
  }
  return [...doc, `  ${name}(${param}): Promise<{ ret: ${retType}; stream: S }> {`, `    return this.callStream({ ${call} });`, "  }", ""];
}

/**
 * The `_args` struct with its flag fields retyped: `Omit<p.DomainRebootArgs, 'flags'> & { flags: c.VirDomainRebootFlagValues | 0 }`
 * (Omit rather than intersecting with `flags: number`, so that errors name the flag type).
 */
function argsTypeOf(model: ProtocolModel, flagTypes: FlagTypes, procName: string, args: string): string {
  const def = model.types.get(args);
  if (def?.kind !== "struct") throw new Error(`${args} is not a struct`);
  const flagFields = def.fields.flatMap((f) => {
    const type = flagTypes.get(`${procName}.${f.name}`);
    return type ? [{ name: fieldName(f.name), type: flagTsType(type) }] : [];
  });
  const base = `p.${typeName(args)}`;
  if (flagFields.length === 0) return base;
  const omitted = flagFields.map((f) => `'${f.name}'`).join(" | ");
  return `Omit<${base}, ${omitted}> & { ${flagFields.map((f) => `${f.name}: ${f.type}`).join("; ")} }`;
}

function flagTsType(type: FlagType): string {
  return type.kind === "zero" ? "0" : [...type.enums.map((e) => `c.${flagTypeName(e)}`), "0"].join(" | ");
}

function returnShape(model: ProtocolModel, proc: Procedure): { retType: string; decode: string } {
  if (!proc.ret) return { retType: "void", decode: "null" };
  const def = model.types.get(proc.ret);
  if (def?.kind !== "struct") throw new Error(`${proc.ret} is not a struct`);
  const ret = typeName(proc.ret);
  const only = def.fields.length === 1 ? def.fields[0]! : null;
  if (!only) return { retType: `p.${ret}`, decode: `p.decode${ret}` };
  const field = fieldName(only.name);
  return { retType: tsType(model, only, "p."), decode: `(r) => p.decode${ret}(r).${field}` };
}

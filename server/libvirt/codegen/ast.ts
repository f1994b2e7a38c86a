// The parsed form of an XDR protocol file.

/** A constant reference: a literal or a name defined by a const, an enum member or a C header. */
export type Value = { num: number } | { ident: string };

export type BaseType =
  | { kind: "int" | "uint" | "hyper" | "uhyper" | "float" | "double" | "bool" | "char" | "uchar" }
  | { kind: "string" }
  | { kind: "opaque" }
  | { kind: "named"; name: string };

export type Shape =
  | { kind: "scalar" }
  | { kind: "fixed"; size: Value }
  /** `<>` without a bound is `max: null`. */
  | { kind: "var"; max: Value | null }
  | { kind: "optional" };

export interface Declaration {
  name: string;
  type: BaseType;
  shape: Shape;
}

export interface EnumMember {
  name: string;
  value: Value;
  /** The comment before the member (libvirt's @annotations live here). */
  comment: string;
}

export interface UnionArm {
  cases: Value[];
  /** null for a `void` arm. */
  decl: Declaration | null;
}

export type Definition =
  | { kind: "const"; name: string; value: Value }
  | { kind: "typedef"; decl: Declaration }
  | { kind: "enum"; name: string; members: EnumMember[] }
  | { kind: "struct"; name: string; fields: Declaration[] }
  | {
      kind: "union";
      name: string;
      discriminant: Declaration;
      arms: UnionArm[];
      /** undefined when there is no default arm; null for `default: void`. */
      defaultArm: Declaration | null | undefined;
    };

export interface ProtocolFile {
  file: string;
  definitions: Definition[];
}

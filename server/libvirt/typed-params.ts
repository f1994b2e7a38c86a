// virTypedParameter lists (stats, tunables, migration and guest info) to and
// from plain objects.
//
// Reading: int, uint and double become numbers; llong and ullong bigints;
// boolean a boolean; string a string. A field libvirt repeats (rare: e.g.
// migrate_disks) keeps its last value in the object; `typedParamList` keeps
// every entry.
//
// Writing: libvirt checks each field's exact type, and a JS number does not
// say which integer type it is, so numbers are given with a helper
// (`typedParam.ullong(1n << 30n)`); strings and booleans are inferred.
// An array value sends the field once per element.
import {
  VIR_TYPED_PARAM_BOOLEAN,
  VIR_TYPED_PARAM_DOUBLE,
  VIR_TYPED_PARAM_INT,
  VIR_TYPED_PARAM_LLONG,
  VIR_TYPED_PARAM_STRING,
  VIR_TYPED_PARAM_UINT,
  VIR_TYPED_PARAM_ULLONG,
} from "./generated/constants";
import type { TypedParam, TypedParamValue } from "./generated/protocol";

export type TypedParamScalar = number | bigint | boolean | string;
export type TypedParams = Record<string, TypedParamScalar>;

export function decodeTypedParam(value: TypedParamValue): TypedParamScalar {
  switch (value.type) {
    case VIR_TYPED_PARAM_INT:
      return value.i;
    case VIR_TYPED_PARAM_UINT:
      return value.ui;
    case VIR_TYPED_PARAM_LLONG:
      return value.l;
    case VIR_TYPED_PARAM_ULLONG:
      return value.ul;
    case VIR_TYPED_PARAM_DOUBLE:
      return value.d;
    case VIR_TYPED_PARAM_BOOLEAN:
      return value.b !== 0;
    case VIR_TYPED_PARAM_STRING:
      return value.s;
  }
}

export function decodeTypedParams(params: readonly TypedParam[]): TypedParams {
  const out: TypedParams = {};
  for (const p of params) out[p.field] = decodeTypedParam(p.value);
  return out;
}

/** Every entry in order, for fields that may repeat. */
export function typedParamList(params: readonly TypedParam[]): [string, TypedParamScalar][] {
  return params.map((p) => [p.field, decodeTypedParam(p.value)]);
}

/** A typed parameter value ready to send. */
export type TypedParamInput = TypedParamValue | string | boolean;

export const typedParam = {
  int: (i: number): TypedParamValue => ({ type: VIR_TYPED_PARAM_INT, i }),
  uint: (ui: number): TypedParamValue => ({ type: VIR_TYPED_PARAM_UINT, ui }),
  llong: (l: bigint): TypedParamValue => ({ type: VIR_TYPED_PARAM_LLONG, l }),
  ullong: (ul: bigint): TypedParamValue => ({ type: VIR_TYPED_PARAM_ULLONG, ul }),
  double: (d: number): TypedParamValue => ({ type: VIR_TYPED_PARAM_DOUBLE, d }),
  boolean: (b: boolean): TypedParamValue => ({ type: VIR_TYPED_PARAM_BOOLEAN, b: b ? 1 : 0 }),
  string: (s: string): TypedParamValue => ({ type: VIR_TYPED_PARAM_STRING, s }),
};

export function encodeTypedParams(params: Record<string, TypedParamInput | readonly TypedParamInput[]>): TypedParam[] {
  const out: TypedParam[] = [];
  for (const [field, value] of Object.entries(params)) {
    const values = Array.isArray(value) ? value : [value as TypedParamInput];
    for (const v of values) out.push({ field, value: toValue(v) });
  }
  return out;
}

function toValue(v: TypedParamInput): TypedParamValue {
  if (typeof v === "string") return typedParam.string(v);
  if (typeof v === "boolean") return typedParam.boolean(v);
  return v;
}

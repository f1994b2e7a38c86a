// Emits generated/constants.ts: libvirt's public constants under their C
// names (VIR_DOMAIN_RUNNING, VIR_CONNECT_LIST_DOMAINS_ACTIVE, VIR_ERR_NO_DOMAIN,
// VIR_DOMAIN_SCHEDULER_CPU_SHARES…) and one object per C enum keyed by the
// member names without their shared prefix (virDomainState.RUNNING), which
// also serves to turn a number back into a name. The members of enums that a
// procedure takes as flags are typed with their enum (../flags.ts), so a flag
// of one call does not compile as another's.
import type { CHeaderConstants } from "./c-headers";
import { enumKeys, flagTypeName } from "./names";

export function emitConstants(headers: CHeaderConstants, flagEnums: ReadonlySet<string>): string {
  const flagEnumList = headers.enums.filter((e) => flagEnums.has(e.name));
  const flagTypeOf = new Map(flagEnumList.flatMap((e) => e.members.map((m) => [m.name, flagTypeName(e.name)] as const)));
  const out: string[] = ["import type { Flags } from '../flags';", ""];
  for (const e of flagEnumList) {
    out.push(`/** A flag of C enum ${e.name}, or several OR-ed with flagsOf(). */`, `export type ${flagTypeName(e.name)} = Flags<'${e.name}'>;`);
  }
  out.push("");
  for (const name of headers.order) {
    const str = headers.strings.get(name);
    const flagType = flagTypeOf.get(name);
    const value = str !== undefined ? JSON.stringify(str) : literal(headers.integers.get(name)!);
    out.push(`export const ${name} = ${value}${flagType ? ` as ${flagType}` : ""};`);
  }
  out.push("");
  for (const e of headers.enums) {
    const keys = enumKeys(e.members.map((m) => m.name));
    out.push(`/** C enum ${e.name}. */`, `export const ${e.name} = {`, ...e.members.map((m, i) => `  ${keys[i]}: ${m.name},`), "} as const;", "");
  }
  return out.join("\n");
}

function literal(value: bigint): string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? String(n) : `${value}n`;
}

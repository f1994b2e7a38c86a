// Emits generated/constants.ts: libvirt's public constants under their C
// names (VIR_DOMAIN_RUNNING, VIR_CONNECT_LIST_DOMAINS_ACTIVE, VIR_ERR_NO_DOMAIN,
// VIR_DOMAIN_SCHEDULER_CPU_SHARES…) and one object per C enum keyed by the
// member names without their shared prefix (virDomainState.RUNNING), which
// also serves to turn a number back into a name.
import type { CHeaderConstants } from './c-headers';
import { enumKeys } from './names';

export function emitConstants(headers: CHeaderConstants): string {
  const out: string[] = [];
  for (const name of headers.order) {
    const str = headers.strings.get(name);
    out.push(`export const ${name} = ${str !== undefined ? JSON.stringify(str) : literal(headers.integers.get(name)!)};`);
  }
  out.push('');
  for (const e of headers.enums) {
    const keys = enumKeys(e.members.map((m) => m.name));
    out.push(
      `/** C enum ${e.name}. */`,
      `export const ${e.name} = {`,
      ...e.members.map((m, i) => `  ${keys[i]}: ${m.name},`),
      '} as const;',
      '',
    );
  }
  return out.join('\n');
}

function literal(value: bigint): string {
  const n = Number(value);
  return Number.isSafeInteger(n) ? String(n) : `${value}n`;
}

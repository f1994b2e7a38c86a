import { GRANT_KINDS, type GrantKind } from "@/server/auth/roles";

export interface GrantInput {
  kind: GrantKind;
  value: string;
}

/** One grant a line, `kind:value`, e.g. `host:local`, `name:web-*`, `tag:prod`; a bad line is reported by its number (the form words it). */
export function parseGrants(text: string): { grants: GrantInput[]; errorLine: number | null } {
  const grants: GrantInput[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const sep = line.indexOf(":");
    const kind = line.slice(0, sep).trim();
    const value = line.slice(sep + 1).trim();
    if (sep < 0 || !(GRANT_KINDS as readonly string[]).includes(kind) || !value) {
      return { grants: [], errorLine: i + 1 };
    }
    grants.push({ kind: kind as GrantKind, value });
  }
  return { grants, errorLine: null };
}

export function formatGrants(grants: readonly GrantInput[]): string {
  return grants.map((g) => `${g.kind}:${g.value}`).join("\n");
}

// How libvirt's C names become TypeScript names.

const PROGRAM_PREFIXES: Record<string, string> = { remote: "", qemu: "Qemu" };

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `remote_nonnull_domain` → `NonnullDomain`, `qemu_domain_x_args` → `QemuDomainXArgs`, `virNetMessageError` → `VirNetMessageError`. */
export function typeName(cName: string): string {
  const parts = cName.split("_").filter(Boolean);
  const first = parts[0]!;
  const prefix = PROGRAM_PREFIXES[first];
  const words = prefix === undefined ? parts : parts.slice(1);
  return (prefix ?? "") + words.map(capitalize).join("");
}

/** `need_results` → `needResults`; names already in camelCase (`callbackID`) stay. */
export function fieldName(cName: string): string {
  return cName.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `REMOTE_PROC_CONNECT_GET_HOSTNAME` → `connectGetHostname`; QEMU procedures keep a `qemu` prefix. */
export function methodName(procConst: string): string {
  const m = /^([A-Z]+)_PROC_(.+)$/.exec(procConst);
  if (!m) throw new Error(`not a procedure constant: ${procConst}`);
  const words = m[2]!.toLowerCase().split("_");
  const program = m[1]!.toLowerCase();
  const head = program === "remote" ? words : [program, ...words];
  return head[0]! + head.slice(1).map(capitalize).join("");
}

/** The C struct holding a procedure's arguments/return/message, by libvirt's naming convention. */
export function procStructName(procConst: string, suffix: "args" | "ret" | "msg"): string {
  const m = /^([A-Z]+)_PROC_(.+)$/.exec(procConst)!;
  return `${m[1]!.toLowerCase()}_${m[2]!.toLowerCase()}_${suffix}`;
}

/** `VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE` with prefix `VIR_DOMAIN_EVENT_ID_` → `agentLifecycle`. */
export function camelFromUpper(upper: string): string {
  const words = upper.toLowerCase().split("_").filter(Boolean);
  return words[0]! + words.slice(1).map(capitalize).join("");
}

/**
 * Keys for a C enum's members: the member names without the prefix they all
 * share (`VIR_DOMAIN_RUNNING` in virDomainState → `RUNNING`). Falls back to the
 * full names when stripping would leave an invalid or duplicate key, and for
 * single-member enums, where no shared prefix can be told from the name.
 */
export function enumKeys(members: string[]): string[] {
  if (members.length < 2) return members;
  const split = members.map((m) => m.split("_"));
  let shared = 0;
  const shortest = Math.min(...split.map((s) => s.length));
  // Keep at least one word of every member.
  while (shared < shortest - 1 && split.every((s) => s[shared] === split[0]![shared])) shared++;
  const keys = split.map((s) => s.slice(shared).join("_"));
  const valid = keys.every((k) => /^[A-Za-z_]\w*$/.test(k)) && new Set(keys).size === keys.length;
  return valid ? keys : members;
}

/** The TypeScript type of a C flag enum's values: `virDomainXMLFlags` → `VirDomainXMLFlags`. */
export function flagTypeName(cEnum: string): string {
  return capitalize(cEnum);
}

// Which C enum each procedure's flag parameters take, so that the generated
// methods accept only those enums' constants (see ../flags.ts).
//
// The .x files say only `unsigned int flags`. libvirt's API reference does
// say (api-docs.ts): a procedure's C function is named after it
// (REMOTE_PROC_DOMAIN_GET_XML_DESC → virDomainGetXMLDesc, matched ignoring
// case and underscores), and its `@flags:` line names the enum ("bitwise-OR
// of virDomainXMLFlags") or says there is none ("not used yet, so callers
// should always pass 0"). FLAG_TABLE settles what the reference does not say;
// everything else stays `number`.
import type { ApiDocs } from "./api-docs";
import type { CEnum } from "./c-headers";
import type { Procedure, ProtocolModel } from "./model";

/** `zero`: the call takes no flags yet; `enums`: OR-ed members of these C enums. */
export type FlagType = { kind: "zero" } | { kind: "enums"; enums: string[] };

/** Flag types by `PROCEDURE.field` (`REMOTE_PROC_DOMAIN_REBOOT.flags`). */
export type FlagTypes = Map<string, FlagType>;

/** Procedures whose C function is not named after them. */
const API_NAMES: Record<string, string> = {
  QEMU_PROC_DOMAIN_MONITOR_COMMAND: "virDomainQemuMonitorCommand",
  QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES: "virDomainQemuMonitorCommandWithFiles",
  QEMU_PROC_DOMAIN_AGENT_COMMAND: "virDomainQemuAgentCommand",
  QEMU_PROC_DOMAIN_ATTACH: "virDomainQemuAttach",
  QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER: "virConnectDomainQemuMonitorEventRegister",
};

const MIGRATE_FLAGS = ["virDomainMigrateFlags"];

/** Where the API reference is silent or vague; wins over it. 0: takes no flags. */
const FLAG_TABLE: Readonly<Record<string, readonly string[] | 0>> = {
  // virConnectOpen has no flags argument; the procedure carries virConnectOpenAuth's.
  "REMOTE_PROC_CONNECT_OPEN.flags": ["virConnectFlags"],
  // Documented as "extraction flags", naming VIR_INTERFACE_XML_INACTIVE but not its enum.
  "REMOTE_PROC_INTERFACE_GET_XML_DESC.flags": ["virInterfaceXMLFlags"],
  // Documented as "execution flags"; the QEMU driver refuses any (virCheckFlags(0, NULL)).
  "QEMU_PROC_DOMAIN_AGENT_COMMAND.flags": 0,
  // The steps of a migration have no public function; they carry the caller's virDomainMigrate flags.
  "REMOTE_PROC_DOMAIN_MIGRATE_BEGIN3_PARAMS.flags": MIGRATE_FLAGS,
  "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE3_PARAMS.flags": MIGRATE_FLAGS,
  "REMOTE_PROC_DOMAIN_MIGRATE_PREPARE_TUNNEL3_PARAMS.flags": MIGRATE_FLAGS,
  "REMOTE_PROC_DOMAIN_MIGRATE_PERFORM3_PARAMS.flags": MIGRATE_FLAGS,
  "REMOTE_PROC_DOMAIN_MIGRATE_FINISH3_PARAMS.flags": MIGRATE_FLAGS,
  "REMOTE_PROC_DOMAIN_MIGRATE_CONFIRM3_PARAMS.flags": MIGRATE_FLAGS,
};

// "extra flags; not used yet, so callers should always pass 0", "currently unused, pass zero", "use 0 for now"…
const TAKES_NO_FLAGS = /not used yet|unused|\b(?:pass|set to|use) (?:0|zero)\b/i;

/** The flag type of every 32-bit flag parameter the table or the API reference settles. */
export function flagTypes(model: ProtocolModel, docs: ApiDocs): FlagTypes {
  const enums = new Map(model.headers.enums.map((e) => [e.name, e]));
  const functions = new Map([...docs.keys()].map((name) => [squash(name), name]));
  const result: FlagTypes = new Map();
  const unmatched = new Set(Object.keys(FLAG_TABLE));
  for (const prog of model.programs) {
    for (const proc of prog.procedures) {
      const apiDoc = docs.get(API_NAMES[proc.name] ?? functions.get(squash(`vir_${procSuffix(proc)}`)) ?? "");
      for (const field of unsignedFields(model, proc)) {
        const key = `${proc.name}.${field}`;
        unmatched.delete(key);
        const type = fromTable(key, enums) ?? fromDoc(field, apiDoc?.get(field), enums);
        if (type) result.set(key, type.kind === "enums" ? { kind: "enums", enums: withIncludedEnums(type.enums, enums) } : type);
      }
    }
  }
  if (unmatched.size > 0) throw new Error(`FLAG_TABLE names parameters the protocol does not have: ${[...unmatched].join(", ")}`);
  return result;
}

/** The C enums some parameter takes, for emitting their types. */
export function flagEnums(types: FlagTypes): Set<string> {
  return new Set([...types.values()].flatMap((t) => (t.kind === "enums" ? t.enums : [])));
}

function procSuffix(proc: Procedure): string {
  return proc.name.replace(/^[A-Z]+_PROC_/, "");
}

function squash(name: string): string {
  return name.toLowerCase().replace(/_/g, "");
}

/** The unsigned 32-bit fields of a procedure's arguments: where flags can be (64-bit ones are bigints, left alone). */
function unsignedFields(model: ProtocolModel, proc: Procedure): string[] {
  const def = proc.args ? model.types.get(proc.args) : undefined;
  if (def?.kind !== "struct") return [];
  return def.fields.filter((f) => f.type.kind === "uint" && f.shape.kind === "scalar").map((f) => f.name);
}

function fromTable(key: string, enums: Map<string, CEnum>): FlagType | undefined {
  const entry = FLAG_TABLE[key];
  if (entry === undefined) return undefined;
  if (entry === 0) return { kind: "zero" };
  for (const name of entry) if (!enums.has(name)) throw new Error(`FLAG_TABLE: ${key} names ${name}, which the headers do not define`);
  return { kind: "enums", enums: [...entry] };
}

function fromDoc(field: string, doc: string | undefined, enums: Map<string, CEnum>): FlagType | undefined {
  if (!doc) return undefined;
  const named = [...new Set(doc.match(/\bvir[A-Z]\w*/g) ?? [])].filter((name) => enums.has(name));
  // Besides `flags`, only a parameter documented as an OR of an enum is a set of flags ("stats to return, binary-OR of virDomainStatsTypes").
  if (field !== "flags") return named.length > 0 && /\b(?:bitwise|binary)[- ]or\b/i.test(doc) ? { kind: "enums", enums: named } : undefined;
  if (named.length > 0) return { kind: "enums", enums: named };
  return TAKES_NO_FLAGS.test(doc) ? { kind: "zero" } : undefined;
}

/**
 * Adds the enums whose every member the given ones restate: virDomainVcpuFlags
 * defines VIR_DOMAIN_VCPU_CONFIG = VIR_DOMAIN_AFFECT_CONFIG and so on for all of
 * virDomainModificationImpact, and libvirt's reference tells callers of
 * virDomainSetVcpusFlags to pass VIR_DOMAIN_AFFECT_CONFIG.
 */
function withIncludedEnums(names: string[], enums: Map<string, CEnum>): string[] {
  const restated = new Set(names.flatMap((name) => enums.get(name)!.members.flatMap((m) => (m.alias ? [m.alias] : []))));
  const included = [...enums.values()].filter((e) => !names.includes(e.name) && e.members.length > 0 && e.members.every((m) => restated.has(m.name)));
  return [...names, ...included.map((e) => e.name)];
}

// Emits generated/events.ts: the events of libvirt's domains, networks and
// storage pools (virDomainEventID, virNetworkEventID, virStoragePoolEventID),
// each tied to the message procedure that carries it on a callback
// registration (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
// CONNECT_NETWORK_EVENT_REGISTER_ANY, CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY),
// and a decoder that turns a message into a flat `{ kind, callbackID, ...fields }` object.
import type { ProtocolModel } from "./model";
import { camelFromUpper, fieldName, typeName } from "./names";

interface EventFamily {
  /** Prefix of the TypeScript names: `Domain` → DomainEvent, DOMAIN_EVENT_IDS. */
  object: string;
  /** In doc comments. */
  noun: string;
  idEnum: string;
  idPrefix: string;
  /**
   * An event's message procedure is the first of these + its ID's suffix (…_LIFECYCLE) that exists: older
   * domain events have a _CALLBACK_ form beside one without callbackID; newer ones only a form with it.
   */
  messagePrefixes: string[];
}

const FAMILIES: EventFamily[] = [
  {
    object: "Domain",
    noun: "domain",
    idEnum: "virDomainEventID",
    idPrefix: "VIR_DOMAIN_EVENT_ID_",
    messagePrefixes: ["REMOTE_PROC_DOMAIN_EVENT_CALLBACK_", "REMOTE_PROC_DOMAIN_EVENT_"],
  },
  {
    object: "Network",
    noun: "network",
    idEnum: "virNetworkEventID",
    idPrefix: "VIR_NETWORK_EVENT_ID_",
    messagePrefixes: ["REMOTE_PROC_NETWORK_EVENT_"],
  },
  {
    object: "StoragePool",
    noun: "storage pool",
    idEnum: "virStoragePoolEventID",
    idPrefix: "VIR_STORAGE_POOL_EVENT_ID_",
    messagePrefixes: ["REMOTE_PROC_STORAGE_POOL_EVENT_"],
  },
];

interface EventSpec {
  kind: string;
  id: number;
  proc: number;
  /** TS type of the payload (the fields besides callbackID). */
  payload: string;
  /** Expression building the event from `m`, the decoded message. */
  build: string;
  msgType: string;
}

export function emitEvents(model: ProtocolModel): string {
  return [
    "import type { XdrReader } from '../xdr';",
    "import * as p from './protocol';",
    "",
    ...FAMILIES.flatMap((family) => emitFamily(family, eventSpecs(model, family))),
  ].join("\n");
}

function emitFamily({ object, noun, idEnum }: EventFamily, specs: EventSpec[]): string[] {
  const upper = object.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  const event = `${object}Event`;
  return [
    `/** Fields of each ${noun} event, by kind. */`,
    `export interface ${event}Payloads {`,
    ...specs.map((s) => `  ${s.kind}: ${s.payload};`),
    "}",
    "",
    `export type ${event}Kind = keyof ${event}Payloads;`,
    "",
    `/** A decoded ${noun} event: \`kind\` says which; \`callbackID\` is the registration it arrived on. */`,
    `export type ${event} = {`,
    `  [K in ${event}Kind]: { kind: K; callbackID: number } & ${event}Payloads[K];`,
    `}[${event}Kind];`,
    "",
    `/** libvirt's ${idEnum} for each kind. */`,
    `export const ${upper}_EVENT_IDS: { readonly [K in ${event}Kind]: number } = {`,
    ...specs.map((s) => `  ${s.kind}: ${s.id},`),
    "};",
    "",
    `/** Decoders for the message procedures (REMOTE program) that carry ${noun} events. */`,
    `export const ${upper}_EVENT_DECODERS: ReadonlyMap<number, (r: XdrReader) => ${event}> = new Map<number, (r: XdrReader) => ${event}>([`,
    ...specs.map((s) => `  [${s.proc}, (r) => { const m = p.decode${s.msgType}(r); return ${s.build}; }],`),
    "]);",
    "",
  ];
}

function eventSpecs(model: ProtocolModel, family: EventFamily): EventSpec[] {
  const idEnum = model.headers.enums.find((e) => e.name === family.idEnum);
  if (!idEnum) throw new Error(`${family.idEnum} not found in the C headers`);
  const remote = model.programs.find((p) => p.prefix === "remote")!;
  const byName = new Map(remote.procedures.map((proc) => [proc.name, proc]));

  return idEnum.members.map(({ name, value }) => {
    const suffix = name.slice(family.idPrefix.length);
    const proc = family.messagePrefixes.map((prefix) => byName.get(prefix + suffix)).find((found) => found !== undefined);
    const msgDef = proc?.msg ? model.types.get(proc.msg) : undefined;
    if (!proc || msgDef?.kind !== "struct" || msgDef.fields[0]?.name !== "callbackID") {
      throw new Error(`no callback message procedure for ${name}`);
    }
    const kind = camelFromUpper(suffix);
    const msgType = typeName(proc.msg!);
    const wrapped = msgDef.fields.length === 2 && msgDef.fields[1]!.name === "msg" ? msgDef.fields[1]! : null;
    if (wrapped && wrapped.type.kind === "named") {
      return {
        kind,
        id: Number(value),
        proc: proc.number,
        msgType,
        payload: `p.${typeName(wrapped.type.name)}`,
        build: `{ kind: '${kind}', callbackID: m.callbackID, ...m.msg }`,
      };
    }
    const rest = msgDef.fields.slice(1).map((f) => fieldName(f.name));
    return {
      kind,
      id: Number(value),
      proc: proc.number,
      msgType,
      payload: `Omit<p.${msgType}, 'callbackID'>`,
      build: `{ kind: '${kind}', callbackID: m.callbackID, ${rest.map((f) => `${f}: m.${f}`).join(", ")} }`,
    };
  });
}

// Emits generated/events.ts: the domain events of virDomainEventID, each tied
// to the message procedure that carries it on a callback registration
// (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY), and a decoder that turns a
// message into a flat `{ kind, callbackID, ...fields }` object.
import type { ProtocolModel } from './model';
import { camelFromUpper, fieldName, typeName } from './names';

const EVENT_ID_PREFIX = 'VIR_DOMAIN_EVENT_ID_';

interface DomainEventSpec {
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
  const specs = domainEventSpecs(model);
  return [
    "import type { XdrReader } from '../xdr';",
    "import * as p from './protocol';",
    '',
    '/** Fields of each domain event, by kind. */',
    'export interface DomainEventPayloads {',
    ...specs.map((s) => `  ${s.kind}: ${s.payload};`),
    '}',
    '',
    'export type DomainEventKind = keyof DomainEventPayloads;',
    '',
    '/** A decoded domain event: `kind` says which; `callbackID` is the registration it arrived on. */',
    'export type DomainEvent = {',
    '  [K in DomainEventKind]: { kind: K; callbackID: number } & DomainEventPayloads[K];',
    '}[DomainEventKind];',
    '',
    '/** libvirt\'s VIR_DOMAIN_EVENT_ID_* for each kind. */',
    'export const DOMAIN_EVENT_IDS: { readonly [K in DomainEventKind]: number } = {',
    ...specs.map((s) => `  ${s.kind}: ${s.id},`),
    '};',
    '',
    '/** Decoders for the message procedures (REMOTE program) that carry domain events. */',
    'export const DOMAIN_EVENT_DECODERS: ReadonlyMap<number, (r: XdrReader) => DomainEvent> = new Map<number, (r: XdrReader) => DomainEvent>([',
    ...specs.map((s) => `  [${s.proc}, (r) => { const m = p.decode${s.msgType}(r); return ${s.build}; }],`),
    ']);',
    '',
  ].join('\n');
}

function domainEventSpecs(model: ProtocolModel): DomainEventSpec[] {
  const idEnum = model.headers.enums.find((e) => e.name === 'virDomainEventID');
  if (!idEnum) throw new Error('virDomainEventID not found in the C headers');
  const remote = model.programs.find((p) => p.prefix === 'remote')!;
  const byName = new Map(remote.procedures.map((proc) => [proc.name, proc]));

  return idEnum.members.map(({ name, value }) => {
    const suffix = name.slice(EVENT_ID_PREFIX.length);
    const proc =
      byName.get(`REMOTE_PROC_DOMAIN_EVENT_CALLBACK_${suffix}`) ?? byName.get(`REMOTE_PROC_DOMAIN_EVENT_${suffix}`);
    const msgDef = proc?.msg ? model.types.get(proc.msg) : undefined;
    if (!proc || msgDef?.kind !== 'struct' || msgDef.fields[0]?.name !== 'callbackID') {
      throw new Error(`no callback message procedure for ${name}`);
    }
    const kind = camelFromUpper(suffix);
    const msgType = typeName(proc.msg!);
    const wrapped = msgDef.fields.length === 2 && msgDef.fields[1]!.name === 'msg' ? msgDef.fields[1]! : null;
    if (wrapped && wrapped.type.kind === 'named') {
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
      build: `{ kind: '${kind}', callbackID: m.callbackID, ${rest.map((f) => `${f}: m.${f}`).join(', ')} }`,
    };
  });
}

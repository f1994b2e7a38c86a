// The libvirt objects whose events a Connection delivers, and how libvirtd
// registers a callback for each: domains (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY),
// networks (CONNECT_NETWORK_EVENT_REGISTER_ANY) and storage pools
// (CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY). A registration is for one event
// ID and every object of the family (a null object argument). Node device and
// secret events exist too; nothing here needs them yet.
import {
  DOMAIN_EVENT_DECODERS,
  DOMAIN_EVENT_IDS,
  NETWORK_EVENT_DECODERS,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_DECODERS,
  STORAGE_POOL_EVENT_IDS,
  type DomainEvent,
  type DomainEventKind,
  type NetworkEvent,
  type NetworkEventKind,
  type StoragePoolEvent,
  type StoragePoolEventKind,
} from "./generated/events";
import type { LibvirtProcedures } from "./generated/procedures";
import type { XdrReader } from "./xdr";

export type LibvirtEvent = DomainEvent | NetworkEvent | StoragePoolEvent;
export type DomainEventListener = (event: DomainEvent) => void;
export type NetworkEventListener = (event: NetworkEvent) => void;
export type StoragePoolEventListener = (event: StoragePoolEvent) => void;

type Api = LibvirtProcedures<unknown>;

// Methods rather than function properties: their parameters are bivariant, so
// an EventFamily<NetworkEvent> is an EventFamily<LibvirtEvent> for the bookkeeping.
export interface EventFamily<E extends LibvirtEvent> {
  /** `domain`, `network`, `storagePool`. */
  readonly name: string;
  readonly kinds: readonly E["kind"][];
  eventID(kind: E["kind"]): number;
  /** The decoder of a message procedure that carries this family's events. */
  decoder(procedure: number): ((r: XdrReader) => E) | undefined;
  /** Registers for one event ID; resolves to the callbackID libvirtd will send it with. */
  register(api: Api, eventID: number): Promise<number>;
  deregister(api: Api, callbackID: number): Promise<void>;
}

function family<E extends LibvirtEvent>(
  name: string,
  ids: { readonly [K in E["kind"]]: number },
  decoders: ReadonlyMap<number, (r: XdrReader) => E>,
  callbacks: Pick<EventFamily<E>, "register" | "deregister">,
): EventFamily<E> {
  return {
    name,
    kinds: Object.keys(ids) as E["kind"][],
    eventID: (kind) => ids[kind],
    decoder: (procedure) => decoders.get(procedure),
    register: callbacks.register,
    deregister: callbacks.deregister,
  };
}

export const DOMAIN_EVENTS = family<DomainEvent>("domain", DOMAIN_EVENT_IDS, DOMAIN_EVENT_DECODERS, {
  register: (api, eventID) => api.connectDomainEventCallbackRegisterAny({ eventID, dom: null }),
  deregister: (api, callbackID) => api.connectDomainEventCallbackDeregisterAny({ callbackID }),
});

export const NETWORK_EVENTS = family<NetworkEvent>("network", NETWORK_EVENT_IDS, NETWORK_EVENT_DECODERS, {
  register: (api, eventID) => api.connectNetworkEventRegisterAny({ eventID, net: null }),
  deregister: (api, callbackID) => api.connectNetworkEventDeregisterAny({ callbackID }),
});

export const STORAGE_POOL_EVENTS = family<StoragePoolEvent>("storagePool", STORAGE_POOL_EVENT_IDS, STORAGE_POOL_EVENT_DECODERS, {
  register: (api, eventID) => api.connectStoragePoolEventRegisterAny({ eventID, pool: null }),
  deregister: (api, callbackID) => api.connectStoragePoolEventDeregisterAny({ callbackID }),
});

export const EVENT_FAMILIES: readonly EventFamily<LibvirtEvent>[] = [DOMAIN_EVENTS, NETWORK_EVENTS, STORAGE_POOL_EVENTS];

export const ALL_DOMAIN_EVENT_KINDS: readonly DomainEventKind[] = DOMAIN_EVENTS.kinds;
export const ALL_NETWORK_EVENT_KINDS: readonly NetworkEventKind[] = NETWORK_EVENTS.kinds;
export const ALL_STORAGE_POOL_EVENT_KINDS: readonly StoragePoolEventKind[] = STORAGE_POOL_EVENTS.kinds;

// The libvirt client's public surface. Services import from here.
export { Connection, unansweredMessage, type ConnectionOptions, type ConnectionState } from "./connection";
export { LibvirtStream } from "./stream";
export {
  LibvirtError,
  LibvirtConnectionError,
  type ConnectionErrorKind,
  isLibvirtError,
  isConnectionError,
  hasErrorCode,
  isNoDomain,
  isNoDomainSnapshot,
  isNoNetwork,
  isNoStoragePool,
  isNoStorageVol,
  isOperationInvalid,
  isOperationTimeout,
  isAgentUnresponsive,
} from "./errors";
export {
  decodeTypedParams,
  encodeTypedParams,
  typedParam,
  typedParamList,
  type TypedParams,
  type TypedParamInput,
  type TypedParamScalar,
} from "./typed-params";
export { uuidFromString, uuidToString } from "./uuid";
export { formatLibvirtVersion } from "./version";
export { parseLibvirtUri, type LibvirtUri } from "./uri";
export {
  ALL_DOMAIN_EVENT_KINDS,
  ALL_NETWORK_EVENT_KINDS,
  ALL_STORAGE_POOL_EVENT_KINDS,
  type DomainEventListener,
  type NetworkEventListener,
  type StoragePoolEventListener,
} from "./event-families";
export {
  DOMAIN_EVENT_IDS,
  NETWORK_EVENT_IDS,
  STORAGE_POOL_EVENT_IDS,
  type DomainEvent,
  type DomainEventKind,
  type DomainEventPayloads,
  type NetworkEvent,
  type NetworkEventKind,
  type NetworkEventPayloads,
  type StoragePoolEvent,
  type StoragePoolEventKind,
  type StoragePoolEventPayloads,
} from "./generated/events";
export { flagsOf, type Flags } from "./flags";
export * from "./generated/constants";
export type * as protocol from "./generated/protocol";

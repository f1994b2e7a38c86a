// The libvirt client's public surface. Services import from here.
export { Connection, type ConnectionOptions, type ConnectionState } from './connection';
export { LibvirtStream } from './stream';
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
} from './errors';
export {
  decodeTypedParams,
  encodeTypedParams,
  typedParam,
  typedParamList,
  type TypedParams,
  type TypedParamInput,
  type TypedParamScalar,
} from './typed-params';
export { uuidFromString, uuidToString } from './uuid';
export { formatLibvirtVersion } from './version';
export { parseLibvirtUri, type LibvirtUri } from './uri';
export { ALL_DOMAIN_EVENT_KINDS, type DomainEventListener } from './domain-events';
export { DOMAIN_EVENT_IDS, type DomainEvent, type DomainEventKind, type DomainEventPayloads } from './generated/events';
export * from './generated/constants';
export type * as protocol from './generated/protocol';

// Errors of the libvirt client. LibvirtError is what libvirtd reported for a
// call; LibvirtConnectionError is about the connection itself.
import {
  VIR_ERR_AGENT_UNRESPONSIVE,
  VIR_ERR_AGENT_UNSYNCED,
  VIR_ERR_NO_DOMAIN,
  VIR_ERR_NO_DOMAIN_SNAPSHOT,
  VIR_ERR_NO_NETWORK,
  VIR_ERR_NO_STORAGE_POOL,
  VIR_ERR_NO_STORAGE_VOL,
  VIR_ERR_OPERATION_INVALID,
  VIR_ERR_OPERATION_TIMEOUT,
  virErrorDomain,
  virErrorNumber,
} from "./generated/constants";
import type { VirNetMessageError } from "./generated/protocol";
import { brandSymbol, hasBrand } from "../process-shared";

export interface LibvirtErrorContext {
  /** The method called, e.g. `domainCreate`. */
  procedure: string;
  /** The connection's URI. */
  uri: string;
}

// The generated enum objects drop the prefix their members share: `VIR_` for
// virErrorNumber (it also holds VIR_WAR_*), `VIR_FROM_` for virErrorDomain.
const CODE_NAMES = new Map<number, string>(Object.entries(virErrorNumber).map(([key, code]) => [code, `VIR_${key}`]));
const DOMAIN_NAMES = new Map<number, string>(Object.entries(virErrorDomain).map(([key, code]) => [code, `VIR_FROM_${key}`]));

// Connections are shared by two copies of this module (see server/brand.ts): match by brand.
const LIBVIRT_ERROR = brandSymbol("LibvirtError");
const CONNECTION_ERROR = brandSymbol("LibvirtConnectionError");

/** An error libvirtd returned for a call (libvirt's virError). */
export class LibvirtError extends Error {
  override readonly name = "LibvirtError";
  /** virErrorNumber, e.g. 42 = VIR_ERR_NO_DOMAIN. */
  readonly code: number;
  /** virErrorDomain: the libvirt subsystem that raised it, e.g. 10 = VIR_FROM_QEMU. */
  readonly domain: number;
  /** virErrorLevel: 1 warning, 2 error. */
  readonly level: number;
  /** libvirt's own message, without our context. */
  readonly libvirtMessage: string;
  readonly procedure: string;
  readonly uri: string;
  readonly [LIBVIRT_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, LIBVIRT_ERROR);
  }

  constructor(error: VirNetMessageError, context: LibvirtErrorContext) {
    const message = error.message ?? "unknown libvirt error";
    super(`${context.procedure} on ${context.uri}: ${message} (${codeName(error.code)})`);
    this.code = error.code;
    this.domain = error.domain;
    this.level = error.level;
    this.libvirtMessage = message;
    this.procedure = context.procedure;
    this.uri = context.uri;
  }

  /** e.g. `VIR_ERR_NO_DOMAIN`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** e.g. `VIR_FROM_QEMU`. */
  get domainName(): string {
    return DOMAIN_NAMES.get(this.domain) ?? `domain ${this.domain}`;
  }
}

function codeName(code: number): string {
  return CODE_NAMES.get(code) ?? `error code ${code}`;
}

export type ConnectionErrorKind =
  /** The transport or the handshake (auth, CONNECT_OPEN) failed. */
  | "connect"
  /** The connection dropped while the call was in flight: it may or may not have run. */
  | "disconnected"
  /** The call was made while disconnected and no reconnection succeeded in time. It was not sent. */
  | "unavailable"
  /** The Connection was closed by its owner. */
  | "closed"
  /** libvirtd sent something we cannot read; the connection is dropped and re-opened. */
  | "protocol";

export class LibvirtConnectionError extends Error {
  override readonly name = "LibvirtConnectionError";
  readonly [CONNECTION_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, CONNECTION_ERROR);
  }

  constructor(
    readonly kind: ConnectionErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isLibvirtError(err: unknown): err is LibvirtError {
  return err instanceof LibvirtError;
}

export function hasErrorCode(err: unknown, code: number): err is LibvirtError {
  return err instanceof LibvirtError && err.code === code;
}

export function isConnectionError(err: unknown, kind?: ConnectionErrorKind): err is LibvirtConnectionError {
  return err instanceof LibvirtConnectionError && (kind === undefined || err.kind === kind);
}

export const isNoDomain = (err: unknown) => hasErrorCode(err, VIR_ERR_NO_DOMAIN);
export const isNoDomainSnapshot = (err: unknown) => hasErrorCode(err, VIR_ERR_NO_DOMAIN_SNAPSHOT);
export const isNoNetwork = (err: unknown) => hasErrorCode(err, VIR_ERR_NO_NETWORK);
export const isNoStoragePool = (err: unknown) => hasErrorCode(err, VIR_ERR_NO_STORAGE_POOL);
export const isNoStorageVol = (err: unknown) => hasErrorCode(err, VIR_ERR_NO_STORAGE_VOL);
/** E.g. starting a running domain or shutting down a stopped one. */
export const isOperationInvalid = (err: unknown) => hasErrorCode(err, VIR_ERR_OPERATION_INVALID);
export const isOperationTimeout = (err: unknown) => hasErrorCode(err, VIR_ERR_OPERATION_TIMEOUT);
/** The guest agent is not connected or did not answer in time. */
export const isAgentUnresponsive = (err: unknown) => hasErrorCode(err, VIR_ERR_AGENT_UNRESPONSIVE) || hasErrorCode(err, VIR_ERR_AGENT_UNSYNCED);

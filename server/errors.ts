import { brandSymbol, hasBrand } from "./process-shared";
import {
  LibvirtConnectionError,
  LibvirtError,
  VIR_ERR_ACCESS_DENIED,
  VIR_ERR_AGENT_UNRESPONSIVE,
  VIR_ERR_AGENT_UNSYNCED,
  VIR_ERR_DOM_EXIST,
  VIR_ERR_NETWORK_EXIST,
  VIR_ERR_NO_DOMAIN,
  VIR_ERR_NO_DOMAIN_SNAPSHOT,
  VIR_ERR_NO_NETWORK,
  VIR_ERR_NO_STORAGE_POOL,
  VIR_ERR_NO_STORAGE_VOL,
  VIR_ERR_OPERATION_DENIED,
  VIR_ERR_OPERATION_INVALID,
  VIR_ERR_OPERATION_TIMEOUT,
  VIR_ERR_RESOURCE_BUSY,
  VIR_ERR_STORAGE_VOL_EXIST,
} from "./libvirt";

/**
 * What went wrong, in terms a caller can act on; the API maps each kind to one HTTP/tRPC status
 * (server/api/trpc.ts). Named "service" errors: in libvirt, "domain" means a VM.
 */
export type ServiceErrorKind = "not_found" | "conflict" | "forbidden" | "invalid" | "unavailable";

const SERVICE_ERROR = brandSymbol("ServiceError");

/**
 * An expected failure of a service, with a message fit to show the user as it is. `field` names the
 * input it is about (a key of the procedure's input, e.g. `vcpus`), so a form shows it next to that field.
 */
export class ServiceError extends Error {
  readonly [SERVICE_ERROR] = true;
  readonly field: string | undefined;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, SERVICE_ERROR);
  }

  constructor(
    message: string,
    readonly kind: ServiceErrorKind,
    options?: { cause?: unknown; field?: string },
  ) {
    super(message, options);
    this.name = "ServiceError";
    this.field = options?.field;
  }
}

/**
 * The one table from libvirt's error codes to our kinds. Not listed: "invalid" — libvirt refused
 * what was asked (bad XML, an unsupported setting, QEMU refusing a configuration).
 */
export const LIBVIRT_ERROR_KINDS: ReadonlyMap<number, ServiceErrorKind> = new Map([
  [VIR_ERR_NO_DOMAIN, "not_found"],
  [VIR_ERR_NO_DOMAIN_SNAPSHOT, "not_found"],
  [VIR_ERR_NO_NETWORK, "not_found"],
  [VIR_ERR_NO_STORAGE_POOL, "not_found"],
  [VIR_ERR_NO_STORAGE_VOL, "not_found"],
  // Starting a running VM, a name already taken, a volume in use: the state of things forbids it now.
  [VIR_ERR_OPERATION_INVALID, "conflict"],
  [VIR_ERR_DOM_EXIST, "conflict"],
  [VIR_ERR_NETWORK_EXIST, "conflict"],
  [VIR_ERR_STORAGE_VOL_EXIST, "conflict"],
  [VIR_ERR_RESOURCE_BUSY, "conflict"],
  [VIR_ERR_OPERATION_DENIED, "forbidden"],
  [VIR_ERR_ACCESS_DENIED, "forbidden"],
  // The guest agent not answering, or libvirt giving up waiting: worth retrying later.
  [VIR_ERR_AGENT_UNRESPONSIVE, "unavailable"],
  [VIR_ERR_AGENT_UNSYNCED, "unavailable"],
  [VIR_ERR_OPERATION_TIMEOUT, "unavailable"],
]);

/**
 * Turns a libvirt failure into a ServiceError that names what was acted on, keeping libvirt's
 * own words after the colon: `VM "web-1" on host "local": libvirt: domain is not running`.
 * Anything that is not a libvirt failure comes back unchanged.
 */
export function translateLibvirtError(context: string, err: unknown): unknown {
  if (err instanceof LibvirtConnectionError) return new ServiceError(`${context}: libvirt: ${err.message}`, "unavailable", { cause: err });
  if (!(err instanceof LibvirtError)) return err;
  return new ServiceError(`${context}: libvirt: ${err.libvirtMessage}`, LIBVIRT_ERROR_KINDS.get(err.code) ?? "invalid", { cause: err });
}

/** Runs a libvirt interaction with its failures translated (see translateLibvirtError). */
export async function withLibvirtContext<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw translateLibvirtError(context, err);
  }
}

import type { Db } from "../db/client";
import { getConnection } from "../libvirt/registry";
import { LibvirtConnectionError, LibvirtError, isNoDomain, isNoNetwork, isNoStoragePool, isNoStorageVol, isNoDomainSnapshot, isOperationInvalid } from "../libvirt";
import { DomainError } from "../errors";
import { getHost } from "./service";

/** The shared libvirt connection of a host row. */
export function hostConnection(db: Db, hostId: string) {
  const host = getHost(db, hostId);
  return { host, conn: getConnection(host.id, host.uri) };
}

function kindOf(err: unknown): DomainError["kind"] | null {
  if (err instanceof LibvirtConnectionError) return "unavailable";
  if (!(err instanceof LibvirtError)) return null;
  if (isNoDomain(err) || isNoNetwork(err) || isNoStoragePool(err) || isNoStorageVol(err) || isNoDomainSnapshot(err)) return "not_found";
  if (isOperationInvalid(err)) return "conflict";
  return "invalid";
}

/**
 * Runs a libvirt interaction and turns its failures into errors that name what was acted on
 * (`VM "web-1" on host "local": …`), keeping libvirt's own message after the colon.
 */
export async function withContext<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    const kind = kindOf(err);
    if (!kind) throw err;
    const detail = err instanceof LibvirtError ? err.libvirtMessage : (err as Error).message;
    throw new DomainError(`${context}: libvirt: ${detail}`, kind, { cause: err });
  }
}

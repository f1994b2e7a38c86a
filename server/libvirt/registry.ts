// One long-lived Connection per host, shared by every service in the
// process: one socket, one keepalive, one event callback registration per
// event kind however many listeners subscribe (Connection fans events out).
// Connections open lazily on their first call and reconnect by themselves.
import { Connection, type ConnectionOptions } from "./connection";
import { processSingleton } from "../process-shared";

export const LOCAL_HOST_ID = "local";
const DEFAULT_LOCAL_URI = "qemu:///system";

// One map per process, shared by server/main.ts and the Next.js route bundle (see process-singleton).
const connections = processSingleton("libvirtConnections", () => new Map<string, Connection>());

/** The URI of the `local` host: $KVMM_LIBVIRT_URI, else qemu:///system. */
export function localUri(): string {
  return process.env.KVMM_LIBVIRT_URI || DEFAULT_LOCAL_URI;
}

/**
 * The connection of host `hostId`. `uri` is the host's URI (optional for
 * `local`). When a host's URI changed since its connection was made, the old
 * connection is closed and a new one made.
 */
export function getConnection(hostId: string, uri?: string, options?: ConnectionOptions): Connection {
  const wanted = uri ?? (hostId === LOCAL_HOST_ID ? localUri() : undefined);
  if (!wanted) throw new Error(`libvirt host '${hostId}' needs a URI`);
  const existing = connections.get(hostId);
  if (existing && existing.uri === wanted && existing.state !== "closed") return existing;
  if (existing) void existing.close();
  const conn = new Connection(wanted, options);
  connections.set(hostId, conn);
  return conn;
}

/** The host's connection if one was made, without making one. */
export function existingConnection(hostId: string): Connection | undefined {
  return connections.get(hostId);
}

/** Closes a host's connection (a host was removed). */
export async function closeConnection(hostId: string): Promise<void> {
  const conn = connections.get(hostId);
  connections.delete(hostId);
  await conn?.close();
}

/** Closes every connection (process shutdown). Callers may await it or not. */
export async function closeAllConnections(): Promise<void> {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map((conn) => conn.close()));
}

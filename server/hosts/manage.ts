// CONTRACT BRANCH ONLY: placeholders with the signatures helper H fills in (issue 14 item 1).
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { ServiceError } from "../errors";
import type { AddHostInput, HostConnectionView, HostListItem, HostTransport, ManagerSshKey, ScannedHostKey } from "./contract";
import { hostAddress, listHostRows, LOCAL_HOST_ID } from "./service";
import { getConnection } from "../libvirt/registry";
import { parseLibvirtUri, type Connection } from "../libvirt";

const todo = (): never => {
  throw new ServiceError("CONTRACT BRANCH ONLY", "conflict");
};

/** Every host row (enabled or not) with its live connection state, for the hosts page and host pickers. */
export function hostList(db: Db, _user: SessionUser): HostListItem[] {
  return listHostRows(db).map((row) => {
    const address = hostAddress(row.uri);
    return {
      id: row.id,
      name: row.name,
      address,
      uri: address,
      transport: transportOf(row.id, row.uri),
      enabled: row.enabled,
      local: row.id === LOCAL_HOST_ID,
      connection: row.enabled ? connectionView(getConnection(row.id, row.uri)) : { state: "disabled", error: null },
      hostKeyFingerprint: null,
    };
  });
}

function transportOf(hostId: string, uri: string): HostTransport {
  if (hostId === LOCAL_HOST_ID) return "local";
  const { transport } = parseLibvirtUri(uri);
  return transport === "ssh" || transport === "tls" || transport === "tcp" ? transport : "local";
}

/** A connection not yet opened (idle, no error) counts as connecting: the first call opens it. */
function connectionView(conn: Connection): HostConnectionView {
  const error = conn.error?.message ?? null;
  if (conn.state === "open") return { state: "connected", error: null };
  if (conn.state === "idle" && error) return { state: "unreachable", error };
  return { state: "connecting", error };
}
/** The manager's ssh key pair, made on first use in the data directory (0600). */
export async function managerSshKey(): Promise<ManagerSshKey> {
  return todo();
}
/** The host key the address's sshd offers, for the sysadmin to compare before it is pinned. */
export async function scanHostKey(_address: string): Promise<ScannedHostKey> {
  return todo();
}
/** Checks the address, pins the key or stores the TLS files, connects once (refused with the reason if it cannot), saves. */
export async function addHost(_db: Db, _input: AddHostInput): Promise<{ id: string }> {
  return todo();
}
export async function updateHost(_db: Db, _hostId: string, _change: { name?: string; enabled?: boolean }): Promise<void> {
  return todo();
}
/** Forgets the host: its VMs keep running; the manager's rows about them go (the audit log stays). */
export async function removeHost(_db: Db, _hostId: string, _confirmName: string): Promise<void> {
  return todo();
}

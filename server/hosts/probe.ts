/**
 * The one connection `add` makes before it saves a host: if the manager cannot reach the host's
 * libvirtd now, the sysadmin hears why (and what to do) instead of finding a host that is never
 * connected.
 */
import { Connection } from "../libvirt/connection";
import type { RemoteTransport } from "./address";

/** Long enough for an ssh login over a slow link and libvirtd's handshake; short enough to wait for in a form. */
export const PROBE_TIMEOUT_MS = 15_000;

/** Opens and closes a connection; resolves with null when it worked, else with the reason in plain words. */
export async function probeHost(uri: string, transport: RemoteTransport, managerPublicKey: string | null): Promise<string | null> {
  try {
    const conn = await Connection.open(uri, { reconnect: false, keepaliveIntervalMs: 0, connectTimeoutMs: PROBE_TIMEOUT_MS });
    await conn.close();
    return null;
  } catch (err) {
    // The URI carries the manager's file paths: the sysadmin typed the address, which the caller names.
    const message = (err instanceof Error ? err.message : String(err)).split(`${uri}: `).join("");
    return explainRefusal(transport, message, managerPublicKey);
  }
}

/** What a failed connection attempt means, for the common causes; the transport's own words otherwise. */
export function explainRefusal(transport: RemoteTransport, message: string, managerPublicKey: string | null): string {
  if (transport === "ssh" && /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/i.test(message)) {
    return "the host's ssh key does not match the pinned key whose fingerprint was confirmed: scan it again and compare the fingerprint with the host's own";
  }
  if (transport === "ssh" && /Permission denied/i.test(message)) {
    const key = managerPublicKey ? ` (${managerPublicKey})` : "";
    return `the host refused the manager's ssh key (Permission denied (publickey)): add the manager's public key${key} to the authorized_keys of the user in the address on the host`;
  }
  if (/no answer within/i.test(message)) return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  const ssh = /ssh exited with code \d+: ([^\n]*)$/.exec(message.trim());
  return ssh?.[1] ?? message.replace(/^connection lost during the handshake: /, "");
}

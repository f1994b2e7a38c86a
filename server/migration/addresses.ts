import { execFile } from "node:child_process";
import { lookup } from "node:dns/promises";
import { promisify } from "node:util";
import { isIPv6 } from "node:net";
import { parseLibvirtUri } from "../libvirt";
import { hostAddress } from "../hosts/service";

const execFileAsync = promisify(execFile);

/**
 * Where each side of a migration is reached. Two different things:
 *
 * - the migration URI (VIR_MIGRATE_PARAM_URI, `tcp://<address>`): where the destination's QEMU
 *   listens for the memory stream, as the source's QEMU reaches it. Without it the destination
 *   offers its own hostname, which on many machines (and on the test hosts) resolves to 127.0.0.1,
 *   so the source's QEMU would connect to itself.
 * - the peer URI (peer-to-peer mode only): the destination's libvirtd as the source's libvirtd
 *   reaches it. The source's libvirtd opens it with its own credentials, not the manager's.
 */

export interface HostUri {
  id: string;
  uri: string;
}

/** The host part of a libvirt URI (`qemu+ssh://root@10.0.0.2/system` → `10.0.0.2`); null for a local socket. */
export function uriHost(uri: string): string | null {
  const host = parseLibvirtUri(uri).host;
  return host ? host.replace(/^\[(.*)\]$/, "$1") : null;
}

/** `tcp://10.0.0.2`, `tcp://[fd00::2]`. */
export function tcpUri(address: string): string {
  return `tcp://${isIPv6(address) ? `[${address}]` : address}`;
}

/** The `src` of `ip route get <address>`: this machine's own address on the way there. */
export function routeSource(ipRouteGetOutput: string): string | null {
  return /\bsrc\s+(\S+)/.exec(ipRouteGetOutput)?.[1] ?? null;
}

export type RouteLookup = (towards: string) => Promise<string | null>;

/** `ip route get`, as the kernel would route a packet from this machine towards `address`. */
export const localRouteSource: RouteLookup = async (address) => {
  const { stdout } = await execFileAsync("ip", ["route", "get", address], { timeout: 5_000 });
  return routeSource(stdout);
};

export interface MigrationAddress {
  address: string;
  /** How it was chosen, for the pre-flight's message. */
  how: string;
}

/**
 * The destination's address as the source's QEMU sees it: the host part of a remote
 * destination's URI; for this machine as the destination (a local socket URI), the address this
 * machine uses on its route towards the source.
 */
export async function migrationAddress(source: HostUri, dest: HostUri, route: RouteLookup = localRouteSource): Promise<MigrationAddress> {
  const destHost = uriHost(dest.uri);
  if (destHost) return { address: destHost, how: `the address in host "${dest.id}"'s URI` };
  const sourceHost = uriHost(source.uri);
  if (!sourceHost)
    throw new Error(`host "${source.id}" and host "${dest.id}" are both reached by a local socket: there is no network between them to migrate over`);
  const { address: sourceIp } = await lookup(sourceHost);
  const address = await route(sourceIp);
  if (!address) throw new Error(`this machine has no route towards host "${source.id}" (${sourceIp})`);
  return { address, how: `this machine's address on its route towards host "${source.id}" (${sourceIp})` };
}

export interface PeerUri {
  uri: string | null;
  /** Why there is none, or what the source's libvirtd needs to use it. */
  note: string;
}

/**
 * The destination's libvirtd as the source's libvirtd reaches it, for peer-to-peer mode: a
 * remote destination's URI as the sysadmin typed it (without the key, known_hosts and TLS files
 * the manager added: those are the manager's credentials, on the manager's machine); this
 * machine's libvirtd (a local socket URI) at `localPeerUri` (KVMM_LIBVIRT_PEER_URI), when set.
 */
export function peerUri(source: HostUri, dest: HostUri, localPeerUri: string | undefined): PeerUri {
  const needs = (uri: string) =>
    `host "${source.id}"'s libvirtd connects to ${uri} itself, with its own credentials (for ssh: a key of root on host "${source.id}" that host "${dest.id}" accepts)`;
  if (uriHost(dest.uri)) {
    const uri = hostAddress(dest.uri);
    return { uri, note: needs(uri) };
  }
  if (localPeerUri) return { uri: localPeerUri, note: needs(localPeerUri) };
  return {
    uri: null,
    note: `the manager reaches host "${dest.id}" by a local socket, which host "${source.id}" cannot use; set KVMM_LIBVIRT_PEER_URI to the URI other hosts reach it at, or use the manager-driven mode`,
  };
}

/**
 * The address a sysadmin types for a new host, checked before anything is stored or run. Only
 * transports that encrypt and authenticate are accepted: the manager sends VM definitions, console
 * traffic and power actions over them.
 */
import { LibvirtUriError, parseLibvirtUri } from "../libvirt/uri";
import { ServiceError } from "../errors";

export type RemoteTransport = "ssh" | "tls";

export interface HostAddress {
  transport: RemoteTransport;
  /** As typed, trimmed: what the hosts page shows. */
  address: string;
  host: string;
  /** Null when the address names none (ssh: 22, TLS: 16514). */
  port: number | null;
  user: string | null;
}

const FORMS = "qemu+ssh://user@host/system or qemu+tls://host/system";

function refuse(message: string): never {
  throw new ServiceError(message, "invalid", { field: "address" });
}

/** Parses and checks `address` for the transport the form chose; a ServiceError ("invalid", field address) says what is wrong. */
export function parseHostAddress(address: string, transport: RemoteTransport): HostAddress {
  const typed = address.trim();
  let uri;
  try {
    uri = parseLibvirtUri(typed);
  } catch (err) {
    if (err instanceof LibvirtUriError) refuse(`"${typed}" is not a libvirt address: use ${FORMS}`);
    throw err;
  }
  if (uri.transport === "tcp") {
    refuse(`qemu+tcp:// is unencrypted and unauthenticated: anyone on the network could control the host; use ${FORMS}`);
  }
  if (uri.driver !== "qemu" || (uri.transport !== "ssh" && uri.transport !== "tls") || !/^qemu\+(ssh|tls):\/\//i.test(typed)) {
    refuse(`"${typed}" is not a remote QEMU host: use ${FORMS}`);
  }
  if (uri.transport !== transport) refuse(`the address is qemu+${uri.transport}:// but the ${transport} form was chosen`);
  if (!uri.host) refuse(`"${typed}" names no host: use ${FORMS}`);
  if (uri.path !== "/system") refuse(`the manager works with the host's system libvirtd: the address ends in /system, not "${uri.path || "/"}"`);
  if (typed.includes("?") || typed.includes("#")) {
    refuse("the address takes no parameters: the manager adds its own key, the pinned host key and the TLS files itself");
  }
  if (transport === "tls" && uri.user) refuse("a TLS address names no user: the client certificate says who connects");
  return { transport, address: typed, host: uri.host, port: uri.port, user: uri.user };
}

/**
 * Two addresses name the same endpoint when transport, host and port agree (the default port
 * spelled out or not). The user does not count: two logins into one sshd reach one libvirtd.
 */
export function sameEndpoint(a: HostAddress, b: HostAddress): boolean {
  const port = (x: HostAddress) => x.port ?? (x.transport === "ssh" ? 22 : 16514);
  return a.transport === b.transport && a.host.toLowerCase() === b.host.toLowerCase() && port(a) === port(b);
}

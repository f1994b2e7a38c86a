// libvirt connection URIs (https://libvirt.org/uri.html), read the way
// libvirt's remote driver reads them (src/remote/remote_driver.c,
// remote_sockets.c): `driver[+transport]://[user@][host][:port]/path[?params]`.

export type TransportKind = "unix" | "tls" | "tcp" | "ssh" | "ext" | "libssh" | "libssh2";

const TRANSPORTS: readonly TransportKind[] = ["unix", "tls", "tcp", "ssh", "ext", "libssh", "libssh2"];

/** Query parameters the client consumes; everything else is passed on to the daemon's driver. */
const CLIENT_PARAMS = new Set([
  "name",
  "command",
  "socket",
  "auth",
  "sshauth",
  "netcat",
  "keyfile",
  "pkipath",
  "known_hosts",
  "known_hosts_verify",
  "tls_priority",
  "mode",
  "proxy",
  "no_sanity",
  "no_verify",
  "no_tty",
  "authfile",
]);

export interface LibvirtUri {
  /** As given. */
  uri: string;
  /** The hypervisor driver, e.g. `qemu`, `test`. */
  driver: string;
  transport: TransportKind;
  host: string | null;
  port: number | null;
  user: string | null;
  /** e.g. `/system`, `/session`, `/default`. */
  path: string;
  /** Client parameters (lower-cased names): socket, keyfile, pkipath, no_verify… */
  params: ReadonlyMap<string, string>;
  /** The URI the daemon is asked to open (CONNECT_OPEN's `name`): no transport, host or client parameters. */
  remoteName: string;
}

export class LibvirtUriError extends Error {
  override readonly name = "LibvirtUriError";
}

export function parseLibvirtUri(uri: string): LibvirtUri {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new LibvirtUriError(`not a libvirt URI: '${uri}'`);
  }
  const scheme = url.protocol.slice(0, -1);
  const plus = scheme.indexOf("+");
  const driver = plus === -1 ? scheme : scheme.slice(0, plus);
  const host = url.hostname ? url.hostname.replace(/^\[(.*)\]$/, "$1") : null;
  const transport = transportOf(uri, plus === -1 ? null : scheme.slice(plus + 1).toLowerCase(), host);

  const params = new Map<string, string>();
  const passThrough: [string, string][] = [];
  for (const [key, value] of url.searchParams) {
    const name = key.toLowerCase();
    if (CLIENT_PARAMS.has(name)) params.set(name, value);
    else passThrough.push([key, value]);
  }

  const path = url.pathname;
  const query = passThrough.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
  const remoteName = params.get("name") ?? (driver === "remote" ? "" : `${driver}://${path}${query ? `?${query}` : ""}${url.hash}`);

  return {
    uri,
    driver,
    transport,
    host,
    port: url.port ? Number(url.port) : null,
    user: url.username ? decodeURIComponent(url.username) : null,
    path,
    params,
    remoteName,
  };
}

function transportOf(uri: string, explicit: string | null, host: string | null): TransportKind {
  if (explicit === null) return host ? "tls" : "unix";
  const kind = TRANSPORTS.find((t) => t === explicit);
  if (!kind) throw new LibvirtUriError(`${uri}: unknown transport '${explicit}' (expected ${TRANSPORTS.join("|")})`);
  if (kind === "unix" && host) throw new LibvirtUriError(`${uri}: a unix socket cannot reach remote host '${host}'`);
  return kind;
}

/** libvirt's boolean URI parameters: `no_verify=1`. */
export function flagParam(uri: LibvirtUri, name: string): boolean {
  const value = uri.params.get(name);
  return value !== undefined && value !== "0";
}

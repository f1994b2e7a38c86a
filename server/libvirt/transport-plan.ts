// Which transport a URI needs and with what settings, following libvirt's
// remote driver: socket paths (remote_sockets.c), TLS credential locations
// (virnettlscontext.c) and the ssh command line (virnetsocket.c,
// virnetclient.c). Pure: file existence and the user come from `env`.
import path from "node:path";
import { flagParam, LibvirtUriError, type LibvirtUri } from "./uri";

export type TransportPlan =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number }
  | {
      kind: "tls";
      host: string;
      port: number;
      caFile: string;
      certFile: string;
      keyFile: string;
      /** false with `?no_verify=1`: the server certificate is not checked. */
      verify: boolean;
    }
  /** ssh and ext: a program whose stdin/stdout carry the protocol. */
  | { kind: "command"; file: string; args: string[] };

export interface TransportEnv {
  uid: number;
  home: string;
  /** $XDG_RUNTIME_DIR, if set. */
  runtimeDir: string | undefined;
  exists: (file: string) => boolean;
}

export interface PlanOptions {
  readOnly: boolean;
}

const SYSTEM_SOCKET_DIR = "/var/run/libvirt";
const SYSTEM_PKI = { ca: "/etc/pki/CA/cacert.pem", cert: "/etc/pki/libvirt/clientcert.pem", key: "/etc/pki/libvirt/private/clientkey.pem" };
const TCP_PORT = 16509;
const TLS_PORT = 16514;

export function planTransport(uri: LibvirtUri, env: TransportEnv, options: PlanOptions): TransportPlan {
  switch (uri.transport) {
    case "unix":
      return { kind: "unix", path: uri.params.get("socket") ?? localSocket(uri, env, options) };
    case "tcp":
      return { kind: "tcp", host: uri.host ?? "localhost", port: uri.port ?? TCP_PORT };
    case "tls":
      return { kind: "tls", host: uri.host ?? "localhost", port: uri.port ?? TLS_PORT, ...tlsFiles(uri, env), verify: !flagParam(uri, "no_verify") };
    case "ssh":
      return { kind: "command", file: sshInvocation(uri).file, args: sshArgs(uri, options) };
    case "ext": {
      const command = uri.params.get("command");
      if (!command) throw new LibvirtUriError(`${uri.uri}: the ext transport needs ?command=`);
      return { kind: "command", file: command, args: [] };
    }
    case "libssh":
    case "libssh2":
      throw new LibvirtUriError(`${uri.uri}: the ${uri.transport} transport is not supported; use ${uri.driver}+ssh://`);
  }
}

function isSession(uri: LibvirtUri): boolean {
  return uri.path === "/session";
}

/**
 * A modular daemon's socket (virtqemud-sock) when it exists, else libvirtd's
 * (mode=auto); `?mode=legacy|direct` forces one. Session URIs use the user's
 * runtime dir.
 */
function localSocket(uri: LibvirtUri, env: TransportEnv, options: PlanOptions): string {
  const session = isSession(uri);
  const dir = session ? path.join(env.runtimeDir ?? path.join(env.home, ".cache"), "libvirt") : SYSTEM_SOCKET_DIR;
  const suffix = session ? "sock" : options.readOnly ? "sock-ro" : "sock";
  const direct = path.join(dir, `virt${uri.driver}d-${suffix}`);
  const legacy = path.join(dir, `libvirt-${suffix}`);
  const mode = uri.params.get("mode") ?? "auto";
  if (mode === "direct") return direct;
  if (mode === "legacy") return legacy;
  if (mode !== "auto") throw new LibvirtUriError(`${uri.uri}: unknown mode '${mode}' (expected auto|legacy|direct)`);
  return env.exists(direct) ? direct : legacy;
}

/** `?pkipath=` holds all three; else non-root users' ~/.pki/libvirt files win over the system ones, file by file. */
function tlsFiles(uri: LibvirtUri, env: TransportEnv): { caFile: string; certFile: string; keyFile: string } {
  const pkipath = uri.params.get("pkipath");
  if (pkipath) {
    return {
      caFile: path.join(pkipath, "cacert.pem"),
      certFile: path.join(pkipath, "clientcert.pem"),
      keyFile: path.join(pkipath, "clientkey.pem"),
    };
  }
  const user = path.join(env.home, ".pki", "libvirt");
  const pick = (userFile: string, systemFile: string) => (env.uid !== 0 && env.exists(path.join(user, userFile)) ? path.join(user, userFile) : systemFile);
  return {
    caFile: pick("cacert.pem", SYSTEM_PKI.ca),
    certFile: pick("clientcert.pem", SYSTEM_PKI.cert),
    keyFile: pick("clientkey.pem", SYSTEM_PKI.key),
  };
}

/**
 * `ssh [-p port] [-l user] [-i keyfile] -T -e none -o BatchMode=yes
 * [-o StrictHostKeyChecking=no] -- host <remote command>`. Unlike virsh we
 * always pass BatchMode=yes: a server process has nobody to type a password.
 */
function sshArgs(uri: LibvirtUri, options: PlanOptions): string[] {
  const ssh = sshInvocation(uri);
  return [...ssh.options, "--", ssh.host, remoteProxyCommand(uri, options)];
}

/** How an ssh URI's host is reached: the program, its options up to the destination, and the destination. */
export interface SshInvocation {
  file: string;
  options: string[];
  host: string;
}

/**
 * The ssh program and options of an ssh URI, shared by the libvirt
 * connection and anything else the manager forwards through that host (the
 * VNC console), so both log in with the same key and trust the same host key.
 * `?known_hosts=<file>` (libvirt reads it for libssh only) pins the host key
 * for ssh too: that file alone is consulted, strictly, so a key the manager
 * pinned is never overridden by ~/.ssh/known_hosts or /etc/ssh; and only the
 * keyfile is offered, not the keys of an ssh agent or ~/.ssh.
 */
export function sshInvocation(uri: LibvirtUri): SshInvocation {
  if (!uri.host) throw new LibvirtUriError(`${uri.uri}: ssh needs a host`);
  const options: string[] = [];
  if (uri.port) options.push("-p", String(uri.port));
  if (uri.user) options.push("-l", uri.user);
  const keyfile = uri.params.get("keyfile");
  if (keyfile) options.push("-i", keyfile);
  options.push("-T", "-e", "none", "-o", "BatchMode=yes");
  const knownHosts = uri.params.get("known_hosts");
  if (knownHosts) {
    options.push(
      "-o",
      `UserKnownHostsFile=${knownHosts}`,
      "-o",
      "GlobalKnownHostsFile=/dev/null",
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "IdentitiesOnly=yes",
    );
  } else if (flagParam(uri, "no_verify")) options.push("-o", "StrictHostKeyChecking=no");
  return { file: uri.params.get("command") ?? "ssh", options, host: uri.host };
}

/**
 * The command run on the remote host to reach its daemon: libvirt's
 * virt-ssh-helper, falling back to `nc -U <socket>` when the helper is
 * missing (proxy=auto), or one of them forced with `?proxy=native|netcat`.
 * An explicit `?socket=` or `?netcat=` means netcat, as in libvirt.
 */
export function remoteProxyCommand(uri: LibvirtUri, options: PlanOptions): string {
  const socket = uri.params.get("socket");
  const netcat = uri.params.get("netcat");
  let proxy = uri.params.get("proxy") ?? (socket ? "netcat" : isSession(uri) ? "native" : "auto");
  if (proxy === "auto" && netcat) proxy = "netcat";

  const ncPath = doubleEscapeShell(netcat ?? "nc");
  const socketPath = socket ?? `${SYSTEM_SOCKET_DIR}/libvirt-${options.readOnly ? "sock-ro" : "sock"}`;
  const nc = `if '${ncPath}' -q 2>&1 | grep "requires an argument" >/dev/null 2>&1; then ARG=-q0;else ARG=;fi;` + `'${ncPath}' $ARG -U ${socketPath}`;
  const helper = `virt-ssh-helper${options.readOnly ? " -r " : " "}'${doubleEscapeShell(uri.remoteName)}'`;

  switch (proxy) {
    case "auto":
      return `sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then     ${helper}; else    ${nc}; fi'`;
    case "netcat":
      return `sh -c '${nc}'`;
    case "native":
      if (netcat) throw new LibvirtUriError(`${uri.uri}: netcat path not valid with native proxy mode`);
      return `sh -c '${helper}'`;
    default:
      throw new LibvirtUriError(`${uri.uri}: unknown proxy '${proxy}' (expected auto|netcat|native)`);
  }
}

/** libvirt's virBufferEscapeShell: single-quote only when shell metacharacters are present. */
export function escapeShell(value: string): string {
  if (value === "") return "''";
  if (!/[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/.test(value)) return value;
  return `'${value.replace(/'/g, "'\\''")}'`;
}

// The value is quoted once for the remote `sh -c '…'` and once for the login shell ssh runs it in.
function doubleEscapeShell(value: string): string {
  return escapeShell(escapeShell(value));
}

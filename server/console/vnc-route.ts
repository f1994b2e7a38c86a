import { parseLibvirtUri } from "../libvirt";
import { sshInvocation } from "../libvirt/transport-plan";
import { ServiceError } from "../errors";
import type { VncEndpoint } from "./devices";

/**
 * How the manager reaches a VM's VNC display, from its host's libvirt URI and where QEMU listens
 * (pure: no I/O). On this machine QEMU's loopback is ours. Through an ssh host, ssh's stdio forward
 * (`-W`) connects from the host itself, so its loopback is reachable too, with the same key and pinned
 * host key as the libvirt connection. A TLS host gives no such channel: its VNC display is reachable
 * only when QEMU listens on an address of the network.
 */
export type VncRoute =
  | { kind: "tcp"; host: string; port: number }
  | { kind: "unix"; path: string }
  /** ssh's program and argv (no shell), whose stdin/stdout carry the VNC bytes; `target` is the forwarded address. */
  | { kind: "ssh"; file: string; args: string[]; target: string };

/** "Every address of the host", which includes its loopback. */
const ANY_ADDRESS = new Set(["0.0.0.0", "::"]);

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === "::1" || address.toLowerCase() === "localhost";
}

/** host:port as ssh's -W and error words take it: an IPv6 address in brackets. */
function hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function refuse(message: string): ServiceError {
  return new ServiceError(message, "unavailable");
}

export function vncRoute(hostUri: string, endpoint: VncEndpoint, context: string): VncRoute {
  const uri = parseLibvirtUri(hostUri);
  if (uri.transport === "unix" && uri.host === null) {
    if (endpoint.kind === "unix") return endpoint;
    // QEMU on this machine listening on any address or on loopback answers on 127.0.0.1, the manager's own loopback.
    return { kind: "tcp", host: ANY_ADDRESS.has(endpoint.address) || isLoopback(endpoint.address) ? "127.0.0.1" : endpoint.address, port: endpoint.port };
  }
  if (endpoint.kind === "unix") {
    // ssh -W forwards to TCP only; a remote `nc -U` would depend on the host's netcat flavour and on
    // the ssh user reading QEMU's socket directory, and puts a path into a remote shell command.
    throw refuse(
      `${context}: its VNC display is a unix socket on the host (${endpoint.path}), which the manager reaches only on its own machine; ` +
        `give the VM a VNC display that listens on an address (127.0.0.1 is enough for a host added over ssh)`,
    );
  }
  if (uri.transport === "ssh") {
    const ssh = sshInvocation(uri);
    const target = hostPort(ANY_ADDRESS.has(endpoint.address) ? "127.0.0.1" : endpoint.address, endpoint.port);
    return { kind: "ssh", file: ssh.file, args: [...ssh.options, "-W", target, "--", ssh.host], target };
  }
  if (uri.transport === "tls" || uri.transport === "tcp") {
    if (isLoopback(endpoint.address)) {
      throw refuse(
        `${context}: its VNC display listens on the host's loopback only, which the manager cannot reach over ${uri.transport.toUpperCase()}; add the host over ssh, ` +
          `or make QEMU listen on an address the manager reaches (vnc_listen in the host's /etc/libvirt/qemu.conf, on a network only the manager uses: VNC is not encrypted there)`,
      );
    }
    // libvirt itself connects to "localhost" when a TLS URI names no host.
    return { kind: "tcp", host: ANY_ADDRESS.has(endpoint.address) ? (uri.host ?? "localhost") : endpoint.address, port: endpoint.port };
  }
  throw refuse(`${context}: the manager reaches VNC displays on this machine, and on hosts added over ssh or TLS, not over qemu+${uri.transport}://`);
}

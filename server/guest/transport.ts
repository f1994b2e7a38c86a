import { connect, type Socket } from "node:net";
import { AGENT_CHANNEL } from "../domains/xml";
import type { Connection, protocol } from "../libvirt";
import type { ChannelEndpoint } from "./session";

/**
 * Connects to a channel's unix socket (QEMU listens on it; libvirt names it in the live XML).
 * QEMU serves one client at a time: a second client's connect succeeds but sees no data until
 * the first one leaves.
 */
export function connectUnixSocket(path: string, timeoutMs = 5_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connecting to ${path} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once("error", onError);
  });
}

/** Errors that say "this process may not use the socket", where going through libvirtd still works. */
export function isAccessError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "EACCES" || code === "EPERM";
}

export async function openChannelSocket(path: string): Promise<ChannelEndpoint> {
  return { stream: await connectUnixSocket(path), transport: "socket" };
}

/** The channel as a libvirt data stream (virDomainOpenChannel): one such stream per channel at a time. */
export async function openChannelStream(
  conn: Pick<Connection, "domainOpenChannel">,
  dom: protocol.NonnullDomain,
  name: string = AGENT_CHANNEL,
): Promise<ChannelEndpoint> {
  return { stream: await conn.domainOpenChannel({ dom, name, flags: 0 }), transport: "stream" };
}

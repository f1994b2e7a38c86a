// A unix socket proxy in front of libvirtd, for tests that need to cut or
// freeze the connection without touching the shared daemon.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface SocketProxy {
  /** The proxy's socket, for `?socket=` in a URI. */
  path: string;
  /** Drops every proxied connection; new ones are still accepted. */
  cut(): void;
  /** Stops forwarding in both directions while keeping the sockets open (a hung peer). */
  freeze(): void;
  thaw(): void;
  /** Refuses new connections until allow(). */
  refuse(): void;
  allow(): void;
  close(): Promise<void>;
}

export async function startSocketProxy(target: string): Promise<SocketProxy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-proxy-"));
  const socketPath = path.join(dir, "libvirt-sock");
  const pairs = new Set<[net.Socket, net.Socket]>();
  let frozen = false;
  let refusing = false;

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.createConnection({ path: target });
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on("data", (chunk) => {
        if (!frozen) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", drop).on("error", drop);
    upstream.on("close", drop).on("error", drop);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  const cut = () => {
    for (const [client, upstream] of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  return {
    path: socketPath,
    cut,
    freeze: () => void (frozen = true),
    thaw: () => void (frozen = false),
    refuse: () => void (refusing = true),
    allow: () => void (refusing = false),
    close: async () => {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

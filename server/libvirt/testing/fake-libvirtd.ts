// A scriptable libvirtd stand-in on a unix socket for RPC unit tests: it
// hands every packet it receives to the test, which answers as it likes.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { encodePacket, PacketDecoder, type Packet, type PacketHeader } from "../packet";
import type { XdrWriter } from "../xdr";

export interface FakeLibvirtd {
  path: string;
  /** Packets received so far, across connections. */
  received: Packet[];
  /** Waits for the next packet matching `filter`. */
  next(filter?: (p: Packet) => boolean): Promise<Packet>;
  send(header: PacketHeader, body?: (w: XdrWriter) => void): void;
  /** Drops the current client connection. */
  hangUp(): void;
  close(): Promise<void>;
}

export async function startFakeLibvirtd(): Promise<FakeLibvirtd> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-test-fake-"));
  const socketPath = path.join(dir, "sock");
  const received: Packet[] = [];
  const waiters: { filter: (p: Packet) => boolean; resolve: (p: Packet) => void }[] = [];
  let client: net.Socket | null = null;

  const server = net.createServer((socket) => {
    client = socket;
    const decoder = new PacketDecoder();
    socket.on("data", (chunk) => {
      for (const packet of decoder.push(chunk)) {
        // Copy: the body may be a view of a socket buffer.
        const copy = { header: packet.header, body: Buffer.from(packet.body) };
        const waiter = waiters.find((w) => w.filter(copy));
        if (waiter) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(copy);
        } else {
          received.push(copy);
        }
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));

  return {
    path: socketPath,
    received,
    next: (filter = () => true) => {
      const index = received.findIndex(filter);
      if (index !== -1) return Promise.resolve(received.splice(index, 1)[0]!);
      return new Promise((resolve) => waiters.push({ filter, resolve }));
    },
    send: (header, body) => {
      client?.write(encodePacket(header, body));
    },
    hangUp: () => client?.destroy(),
    close: async () => {
      client?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

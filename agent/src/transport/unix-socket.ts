import { EventEmitter } from "node:events";
import net from "node:net";
import { delay } from "../delay";
import type { Logger } from "../log";
import { NotConnectedError, type Transport, type TransportEvents } from "./transport";

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 1_000;

/**
 * Client of a unix socket that plays the host (tests, or a libvirt channel
 * exposed in a container). When the host side goes away we connect again.
 */
export class UnixSocketTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "unix-socket";
  private socket: net.Socket | null = null;
  private stopped = false;
  private retryMs = RETRY_MIN_MS;

  constructor(
    private readonly socketPath: string,
    private readonly log: Logger,
  ) {
    super();
  }

  start(): void {
    this.connect();
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) return Promise.reject(new NotConnectedError(`${this.socketPath}: no host connected`));
    return new Promise((resolve, reject) => {
      const flushed = socket.write(data, (error) => {
        if (error) reject(new NotConnectedError(`${this.socketPath}: ${error.message}`));
      });
      if (flushed) {
        resolve();
        return;
      }
      // Wait for the kernel to take our backlog (or for the host to vanish) before the next message.
      const done = () => {
        socket.off("drain", done).off("close", done);
        resolve();
      };
      socket.on("drain", done).on("close", done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.socket?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = net.createConnection(this.socketPath);
    let connected = false;
    socket.on("connect", () => {
      connected = true;
      this.retryMs = RETRY_MIN_MS;
      this.socket = socket;
      this.log.info("host connected", { socket: this.socketPath });
      this.emit("connect");
    });
    socket.on("data", (chunk: Buffer) => this.emit("data", chunk));
    socket.on("error", (error) => {
      if (connected) this.log.warn("host socket error", { socket: this.socketPath, error: error.message });
      else this.log.debug("cannot connect to host socket", { socket: this.socketPath, error: error.message });
    });
    socket.on("close", () => {
      if (this.socket === socket) this.socket = null;
      if (connected) {
        this.log.info("host disconnected", { socket: this.socketPath });
        this.emit("disconnect");
      }
      void this.reconnectLater();
    });
  }

  private async reconnectLater(): Promise<void> {
    if (this.stopped) return;
    await delay(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.connect();
  }
}

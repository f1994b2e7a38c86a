import { EventEmitter } from "node:events";
import { constants, promises as fs } from "node:fs";
import { delay } from "../delay";
import type { Logger } from "../log";
import { NotConnectedError, type Transport, type TransportEvents } from "./transport";

/** The kernel moves at most 32 KiB per write(2) on a virtio-serial port. */
export const PORT_WRITE_CHUNK = 32 * 1024;
const READ_BUFFER = 64 * 1024;
/** qemu-ga waits 100 ms after an EOF before reading again; so do we. */
const HOST_ABSENT_POLL_MS = 100;
/** Idle cost vs. latency: ~10 reads a second when quiet; the first request after a pause waits at most this long. */
const IDLE_POLL_MAX_MS = 100;
const WRITE_RETRY_MAX_MS = 50;
const REOPEN_MIN_MS = 250;
const REOPEN_MAX_MS = 5_000;

/** The few calls the transport makes on an open port; tests substitute a scripted port. */
export interface PortIo {
  read(buffer: Buffer): Promise<number>;
  write(buffer: Buffer, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
}

export type OpenPort = (path: string) => Promise<PortIo>;

/**
 * The fallback port reader (Windows, and a Node without the pipe binding that
 * VirtioPortTransport uses): a blocking read parked in libuv's thread pool would
 * make process exit hang, so the port is opened non-blocking and read in a loop
 * that backs off while idle: EAGAIN means a host is connected but quiet, a
 * zero-byte read means no host (virtio_console returns EOF then, and it is not
 * the end). Costs ~10 reads a second when idle and up to 100 ms of latency for
 * the first request after a pause.
 */
export const openNonBlocking: OpenPort = async (path) => {
  const handle = await fs.open(path, constants.O_RDWR | constants.O_NONBLOCK | constants.O_NOCTTY);
  return {
    read: async (buffer) => (await handle.read(buffer, 0, buffer.length, null)).bytesRead,
    write: async (buffer, offset, length) => (await handle.write(buffer, offset, length, null)).bytesWritten,
    close: () => handle.close(),
  };
};

export class PollingPortTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "virtio-serial";
  private io: PortIo | null = null;
  private hostPresent = false;
  private stopped = false;

  constructor(
    private readonly portPath: string,
    private readonly log: Logger,
    private readonly open: OpenPort = openNonBlocking,
  ) {
    super();
  }

  start(): void {
    void this.run();
  }

  async write(data: Buffer): Promise<void> {
    let offset = 0;
    let retryMs = 1;
    while (offset < data.length) {
      const io = this.io;
      if (!io || !this.hostPresent) throw new NotConnectedError(`${this.portPath}: no host connected`);
      try {
        offset += await io.write(data, offset, Math.min(PORT_WRITE_CHUNK, data.length - offset));
        retryMs = 1;
      } catch (error) {
        if (errno(error) !== "EAGAIN") throw new NotConnectedError(`${this.portPath}: write failed: ${(error as Error).message}`);
        await delay(retryMs);
        retryMs = Math.min(retryMs * 2, WRITE_RETRY_MAX_MS);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const io = this.io;
    this.io = null;
    await io?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    let reopenMs = REOPEN_MIN_MS;
    while (!this.stopped) {
      const io = await this.openOnce(reopenMs);
      if (!io) {
        reopenMs = Math.min(reopenMs * 2, REOPEN_MAX_MS);
        continue;
      }
      reopenMs = REOPEN_MIN_MS;
      await this.readLoop(io);
    }
  }

  private async openOnce(waitMs: number): Promise<PortIo | null> {
    try {
      const io = await this.open(this.portPath);
      this.io = io;
      this.log.info("port opened", { port: this.portPath });
      // Announce ourselves at once: if the host is already there it learns of our (re)start.
      this.setHostPresent(true);
      return io;
    } catch (error) {
      this.log.warn("cannot open port, retrying", { port: this.portPath, error: (error as Error).message, retry_ms: waitMs });
      await delay(waitMs);
      return null;
    }
  }

  private async readLoop(io: PortIo): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BUFFER);
    let idleMs = 1;
    while (!this.stopped && this.io === io) {
      let count: number;
      try {
        count = await io.read(buffer);
      } catch (error) {
        if (errno(error) === "EAGAIN") {
          this.setHostPresent(true);
          await delay(idleMs);
          idleMs = Math.min(idleMs * 2, IDLE_POLL_MAX_MS);
          continue;
        }
        this.log.warn("port read failed, reopening", { port: this.portPath, error: (error as Error).message });
        await this.closePort(io);
        return;
      }
      if (count === 0) {
        this.setHostPresent(false);
        await delay(HOST_ABSENT_POLL_MS);
        continue;
      }
      this.setHostPresent(true);
      idleMs = 1;
      this.emit("data", buffer.subarray(0, count));
    }
  }

  private async closePort(io: PortIo): Promise<void> {
    this.setHostPresent(false);
    if (this.io === io) this.io = null;
    await io.close().catch(() => undefined);
  }

  private setHostPresent(present: boolean): void {
    if (present === this.hostPresent) return;
    this.hostPresent = present;
    this.log.info(present ? "host connected" : "host disconnected", { port: this.portPath });
    this.emit(present ? "connect" : "disconnect");
  }
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

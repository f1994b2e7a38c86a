import { EventEmitter } from "node:events";
import fs from "node:fs";
import net from "node:net";
import type { Logger } from "../log";
import { NotConnectedError, type Transport, type TransportEvents } from "./transport";

/** qemu-ga waits 100 ms after an EOF before reading again; so do we while no host is there… */
export const HOST_ABSENT_POLL_MS = 100;
/** …for this long after the port opens or the host leaves (a restarting host is back within it), */
export const HOST_ABSENT_FAST_FOR_MS = 10_000;
/** then once a second: each probe wakes Node (~2 ms of a TCG vCPU), and a host that stays away needs no 100 ms answer. */
export const HOST_ABSENT_SLOW_POLL_MS = 1_000;
const READ_BUFFER = 64 * 1024;
export const REOPEN_MIN_MS = 250;
const REOPEN_MAX_MS = 5_000;

/**
 * Reading the port without polling it.
 *
 * Node has no public way to wait for a character device to become readable:
 * `new net.Socket({ fd })` refuses one (libuv's uv_guess_handle calls a char
 * device a FILE, and net takes only PIPE and TCP); `fs.read` on a non-blocking fd
 * can only poll (PollingPortTransport: a 1 → 100 ms back-off cost up to 100 ms per
 * request after a pause and 3–6 % of a TCG vCPU when idle); a blocking `fs.read`
 * parks a thread-pool thread in read(2), and then process exit hangs; `fs.watch`
 * (inotify) never fires for data on a device; a `cat` child needs a second process
 * for writing and a respawn after every EOF. What works is what child_process does
 * for stdio pipes: a libuv pipe handle (`uv_pipe_open` takes any fd) wrapped in a
 * net.Socket through its `handle` option. libuv then waits in epoll, which
 * virtio_console supports: reads and writes are woken by the device, and a quiet
 * port costs nothing. The constructor comes from `process.binding('pipe_wrap')`,
 * still on process.binding's allow-list with no runtime warning (DEP0111 is
 * documentation-only); if a Node lacks it, select.ts falls back to polling.
 *
 * The port's semantics (drivers/char/virtio_console.c): while no host process
 * holds the host side, poll reports POLLHUP and read returns 0 when there is no
 * data — an EOF that is not the end. libuv turns it into 'end' on the socket.
 * We keep the descriptor (closing it tells QEMU and libvirt the guest left the
 * port; reopening every 100 ms would flood libvirt with VSERPORT_CHANGE events),
 * detach the handle from the ended socket, and probe with one non-blocking read
 * every 100 ms as qemu-ga does, every second once no host has come for 10 s:
 * 0 = still no host, EAGAIN or data = a host is back, and a fresh socket takes
 * over the same handle. poll cannot wait for the host's return (POLLHUP is
 * reported whatever events are asked for), and SIGIO would need fcntl(O_ASYNC).
 * Writes are refused while no host is there, because libuv would retry a queued
 * write on every POLLHUP; output still queued when the host leaves is dropped by
 * closing the port, which is reopened 100 ms later. The kernel moves at most
 * 32 KiB per write(2); libuv writes the rest of a message when poll says POLLOUT.
 */
interface PipeHandle {
  open(fd: number): number | undefined;
  close(callback?: () => void): void;
  reading: boolean;
  readonly writeQueueSize: number;
}

export interface PipeBinding {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}

/** libuv's pipe handle constructor, or null when this Node does not expose it. */
export function pipeBinding(): PipeBinding | null {
  try {
    const binding = (process as unknown as { binding(name: string): Partial<PipeBinding> }).binding("pipe_wrap");
    return typeof binding.Pipe === "function" && typeof binding.constants?.SOCKET === "number" ? (binding as PipeBinding) : null;
  } catch {
    return null;
  }
}

/** Opens the port; tests substitute a FIFO, whose read side behaves the same (EOF and POLLHUP without a writer). */
export type OpenPortFd = (path: string) => Promise<number>;

export const openPortFd: OpenPortFd = (path) =>
  new Promise((resolve, reject) => {
    fs.open(path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY, (error, fd) => (error ? reject(error) : resolve(fd)));
  });

/**
 * One read(2) on the non-blocking descriptor: bytes read, 0 = no host, throws EAGAIN when a host is
 * there but quiet. Synchronous on purpose: it never blocks, and skipping the thread pool halves what
 * ten probes a second cost in a TCG guest.
 */
export type ProbeRead = (fd: number, buffer: Buffer) => number;

export const probeRead: ProbeRead = (fd, buffer) => fs.readSync(fd, buffer, 0, buffer.length, null);

/** One write(2) on the non-blocking descriptor: bytes written; throws EAGAIN when the port's queue is full. */
export type DirectWrite = (fd: number, data: Buffer) => number;

export const directWrite: DirectWrite = (fd, data) => fs.writeSync(fd, data);

/** Runs `action` after `ms`; returns what cancels it. Tests pass their own, to see and fire the transport's timers. */
export type Schedule = (action: () => void, ms: number) => () => void;

const scheduleTimer: Schedule = (action, ms) => {
  const timer = setTimeout(action, ms);
  return () => clearTimeout(timer);
};

export interface VirtioPortOptions {
  binding: PipeBinding;
  open?: OpenPortFd;
  probe?: ProbeRead;
  write?: DirectWrite;
  schedule?: Schedule;
  now?: () => number;
}

export class VirtioPortTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "virtio-serial";
  private readonly binding: PipeBinding;
  private readonly openFd: OpenPortFd;
  private readonly probeFd: ProbeRead;
  private readonly directWrite: DirectWrite;
  private readonly scheduleTimer: Schedule;
  private readonly now: () => number;
  /** For probes while no host is there and, through the socket's onread, for reads while one is. */
  private readonly buffer = Buffer.allocUnsafe(READ_BUFFER);
  /** The open port: its descriptor and, once wrapped, the libuv handle that owns it. */
  private port: { fd: number; handle: PipeHandle } | null = null;
  /** Non-null exactly while a host is connected. */
  private socket: net.Socket | null = null;
  /** Cancels the one pending timer (probe or reopen), if any. */
  private cancelTimer: (() => void) | null = null;
  /** When the current spell without a host began (port opened or host gone). */
  private absentSince = 0;
  private reopenMs = REOPEN_MIN_MS;
  private openFailures = 0;
  private stopped = false;

  constructor(
    private readonly portPath: string,
    private readonly log: Logger,
    options: VirtioPortOptions,
  ) {
    super();
    this.binding = options.binding;
    this.openFd = options.open ?? openPortFd;
    this.probeFd = options.probe ?? probeRead;
    this.directWrite = options.write ?? directWrite;
    this.scheduleTimer = options.schedule ?? scheduleTimer;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    void this.open();
  }

  write(data: Buffer): Promise<void> {
    const socket = this.socket;
    const port = this.port;
    if (!socket || !port) return Promise.reject(new NotConnectedError(`${this.portPath}: no host connected`));
    const rest = this.writeNow(port, socket, data);
    if (rest.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // The callback runs once libuv has handed every byte to the kernel; 'close' covers a port closed meanwhile.
      const onClose = () => reject(new NotConnectedError(`${this.portPath}: port closed during the write`));
      socket.once("close", onClose);
      socket.write(rest, (error) => {
        socket.off("close", onClose);
        if (error) reject(new NotConnectedError(`${this.portPath}: write failed: ${error.message}`));
        else resolve();
      });
    });
  }

  /**
   * The common case, a reply that fits the port's free buffers while nothing is queued, in one
   * write(2) from here: libuv's stream write path (request objects, a completion on the next
   * loop turn, nextTick callbacks) costs more on a TCG vCPU than the rest of answering a ping.
   * Returns what is left for libuv to write when POLLOUT comes (EAGAIN, or a write cut at 32 KiB).
   */
  private writeNow(port: { fd: number; handle: PipeHandle }, socket: net.Socket, data: Buffer): Buffer {
    // Bytes queued in libuv must leave first; the two paths never overlap.
    if (socket.writableLength > 0 || port.handle.writeQueueSize > 0) return data;
    try {
      return data.subarray(this.directWrite(port.fd, data));
    } catch (error) {
      // EAGAIN: the queue is full; anything else (the host left) is reported by the socket's write.
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") this.log.debug("direct write failed", { error: (error as Error).message });
      return data;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    this.closePort();
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    let fd: number;
    try {
      fd = await this.openFd(this.portPath);
    } catch (error) {
      this.retryOpen(error as Error);
      return;
    }
    const handle = new this.binding.Pipe(this.binding.constants.SOCKET);
    try {
      const status = handle.open(fd);
      if (typeof status === "number" && status < 0) throw new Error(`uv_pipe_open failed (${status})`);
    } catch (error) {
      handle.close();
      fs.close(fd, () => undefined);
      this.retryOpen(error as Error);
      return;
    }
    if (this.stopped) {
      handle.close();
      return;
    }
    this.port = { fd, handle };
    this.reopenMs = REOPEN_MIN_MS;
    this.openFailures = 0;
    this.log.info("port opened", { port: this.portPath });
    // If a host is already there, the probe finds it at once and we announce ourselves.
    this.absentSince = this.now();
    this.probe();
  }

  private retryOpen(error: Error): void {
    // Waiting for a port that is not there yet is normal; say so once, then at debug level.
    const level = this.openFailures++ === 0 ? "warn" : "debug";
    this.log[level]("cannot open port, retrying", { port: this.portPath, error: error.message, retry_ms: this.reopenMs });
    this.schedule(() => void this.open(), this.reopenMs);
    this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
  }

  private schedule(action: () => void, ms: number): void {
    this.clearTimer();
    if (this.stopped) return;
    this.cancelTimer = this.scheduleTimer(() => {
      this.cancelTimer = null;
      action();
    }, ms);
  }

  private clearTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** No host seen on the open port: one non-blocking read tells whether one is there now. */
  private probe(): void {
    const port = this.port;
    if (this.stopped || !port || this.socket) return;
    let count: number;
    try {
      count = this.probeFd(port.fd, this.buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EAGAIN") this.attach(port, null);
      else this.portFailed(error as Error);
      return;
    }
    if (count === 0) this.schedule(() => this.probe(), this.absentPollMs());
    else this.attach(port, Buffer.from(this.buffer.subarray(0, count)));
  }

  private absentPollMs(): number {
    return this.now() - this.absentSince < HOST_ABSENT_FAST_FOR_MS ? HOST_ABSENT_POLL_MS : HOST_ABSENT_SLOW_POLL_MS;
  }

  /** A host is there: read and write through a socket on the port's handle until it goes away. */
  private attach(port: { fd: number; handle: PipeHandle }, first: Buffer | null): void {
    // After an EOF Node still believes the handle is reading; the new socket must start it again.
    port.handle.reading = false;
    const socket = new net.Socket({
      handle: port.handle,
      readable: true,
      writable: true,
      allowHalfOpen: true,
      // Reads land in one reused buffer (not a fresh 64 KiB allocation each) and skip the Readable machinery;
      // 'end' still comes as usual. The port hands out at most a page per read, and listeners copy what they keep.
      onread: {
        buffer: this.buffer,
        callback: (count: number) => {
          this.emit("data", this.buffer.subarray(0, count));
          return true;
        },
      },
    } as net.SocketConstructorOpts);
    this.socket = socket;
    socket.on("end", () => this.hostGone(socket));
    socket.on("error", (error) => {
      if (this.socket === socket) this.portFailed(error);
    });
    this.log.info("host connected", { port: this.portPath });
    this.emit("connect");
    if (first) this.emit("data", first);
  }

  /** EOF: the host side closed. Keep the descriptor and go back to probing, unless output is stuck in libuv. */
  private hostGone(socket: net.Socket): void {
    const port = this.port;
    if (this.socket !== socket || !port) return;
    this.socket = null;
    this.log.info("host disconnected", { port: this.portPath });
    this.emit("disconnect");
    if (socket.writableLength > 0 || port.handle.writeQueueSize > 0) {
      // Only closing the handle cancels a write libuv has queued; the port is opened again shortly.
      this.log.debug("dropping output queued for the departed host", { bytes: socket.writableLength });
      this.port = null;
      socket.destroy();
      this.schedule(() => void this.open(), HOST_ABSENT_POLL_MS);
      return;
    }
    // Detach the handle so that destroying the ended socket does not close the port.
    (socket as unknown as { _handle: unknown })._handle = null;
    socket.destroy();
    this.absentSince = this.now();
    this.schedule(() => this.probe(), HOST_ABSENT_POLL_MS);
  }

  /** A read or write error (ENODEV after a hot-unplug, …): close the port and open it again. */
  private portFailed(error: Error): void {
    this.log.warn("port failed, reopening", { port: this.portPath, error: error.message });
    this.closePort();
    this.schedule(() => void this.open(), this.reopenMs);
  }

  private closePort(): void {
    this.clearTimer();
    const socket = this.socket;
    const port = this.port;
    this.socket = null;
    this.port = null;
    if (socket) {
      this.log.info("host disconnected", { port: this.portPath });
      this.emit("disconnect");
      socket.destroy(); // closes the handle, and with it the descriptor; queued writes are cancelled
    } else if (port) {
      port.handle.close();
    }
  }
}

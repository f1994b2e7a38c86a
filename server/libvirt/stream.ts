// A libvirt data stream (console, channel, volume upload/download,
// screenshot, tunnelled migration) as a Node Duplex.
//
// Protocol (libvirt's rpc.rst and remote_daemon_stream.c): after the call's
// reply, data travels as STREAM packets with status CONTINUE carrying raw
// bytes, in either direction; STREAM_HOLE packets carry a hole length
// (sparse volumes). libvirtd marks the end of its data with an empty CONTINUE
// packet. A side finishes the stream with an empty STREAM packet with status
// OK, which libvirtd confirms with the same; ERROR aborts it (from libvirtd
// the body is a virNetMessageError).
//
// Reading: holes arrive as zero bytes; at libvirtd's end of data we finish the
// stream, as libvirt's own clients do. Writing: end() finishes the stream and
// completes once libvirtd confirms, so `await pipeline(source, stream)` after
// an upload means libvirtd accepted all data. destroy() aborts it.
//
// libvirtd does not flow-control streams per stream, only the whole socket.
// Incoming data is queued here; past 16 MiB unread the connection's socket is
// paused until the reader catches up, which also delays other calls' replies.
import { Duplex } from "node:stream";
import { VIR_NET_CONTINUE, VIR_NET_ERROR, VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX, VIR_NET_OK } from "./generated/protocol";
import { LibvirtConnectionError } from "./errors";

/** The connection side of one stream, provided by the RPC client. */
export interface StreamChannel {
  /** Sends a STREAM packet of this stream; `cb` runs once the transport took it. */
  send(status: number, data: Buffer | null, cb?: (err?: Error | null) => void): void;
  pauseInput(): void;
  resumeInput(): void;
  /** Stops routing packets to this stream. */
  release(): void;
}

const PAUSE_ABOVE = 16 * 1024 * 1024;
const RESUME_BELOW = 4 * 1024 * 1024;
const HOLE_CHUNK = 1024 * 1024;

type Queued = Buffer | { hole: number };

export class LibvirtStream extends Duplex {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private inputPaused = false;
  private wantsData = false;
  private remoteEnded = false;
  private readableDone = false;
  private state: "open" | "finishing" | "done" = "open";
  private finishing: Promise<void> | null = null;
  private settleFinish: { resolve: () => void; reject: (err: Error) => void } | null = null;

  constructor(
    private readonly channel: StreamChannel,
    /** The procedure that opened the stream, for error messages. */
    readonly procedure: string,
  ) {
    super({ allowHalfOpen: false });
  }

  // ---- packets from libvirtd (called by the RPC client) ----

  /** Data from libvirtd; an empty packet is the end of its data. */
  receiveData(data: Buffer): void {
    if (this.remoteEnded) return;
    if (data.length > 0) {
      this.enqueue(data, data.length);
      return;
    }
    this.endReadable();
    // libvirt clients always finish a stream libvirtd ended, which frees it on the daemon side.
    void this.finish().catch((err: Error) => this.destroy(err));
  }

  receiveHole(length: bigint): void {
    if (length <= 0n || this.remoteEnded) return;
    if (length > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.destroy(new LibvirtConnectionError("protocol", `${this.procedure}: stream hole of ${length} bytes is too large`));
      return;
    }
    this.enqueue({ hole: Number(length) }, 0);
  }

  /** An empty OK packet: libvirtd confirms our finish (or closed the stream itself). */
  receiveOk(): void {
    this.state = "done";
    this.channel.release();
    this.settleFinish?.resolve();
    this.endReadable();
    // Nothing to read and nobody reading (an upload): let the readable side end so 'close' comes.
    if (this.readableFlowing === null && this.queue.length === 0 && this.readableLength === 0) this.resume();
  }

  receiveError(err: Error): void {
    this.state = "done";
    this.channel.release();
    if (this.settleFinish) this.settleFinish.reject(err);
    else this.destroy(err);
  }

  // ---- Duplex implementation ----

  override _read(): void {
    this.wantsData = true;
    this.drain();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.state !== "open") {
      callback(new Error(`${this.procedure}: cannot write to a finished stream`));
      return;
    }
    const max = VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX;
    for (let offset = 0; offset < chunk.length; offset += max) {
      const last = offset + max >= chunk.length;
      this.channel.send(VIR_NET_CONTINUE, chunk.subarray(offset, offset + max), last ? callback : undefined);
    }
    if (chunk.length === 0) callback();
  }

  override _final(callback: (err?: Error | null) => void): void {
    this.finish().then(() => callback(), callback);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.state !== "done") {
      this.state = "done";
      this.channel.send(VIR_NET_ERROR, null);
      this.channel.release();
      this.settleFinish?.reject(err ?? new Error(`${this.procedure}: stream aborted`));
    }
    if (this.inputPaused) this.channel.resumeInput();
    callback(err);
  }

  // ---- internals ----

  private finish(): Promise<void> {
    if (this.state === "done") return Promise.resolve();
    if (!this.finishing) {
      this.state = "finishing";
      this.finishing = new Promise<void>((resolve, reject) => {
        this.settleFinish = { resolve, reject };
      });
      this.channel.send(VIR_NET_OK, null);
    }
    return this.finishing;
  }

  private enqueue(item: Queued, bytes: number): void {
    this.queue.push(item);
    this.queuedBytes += bytes;
    if (!this.inputPaused && this.queuedBytes > PAUSE_ABOVE) {
      this.inputPaused = true;
      this.channel.pauseInput();
    }
    if (this.wantsData) this.drain();
  }

  private endReadable(): void {
    this.remoteEnded = true;
    if (this.wantsData) this.drain();
  }

  private drain(): void {
    while (this.wantsData && this.queue.length > 0) {
      const item = this.queue[0]!;
      let chunk: Buffer;
      if (Buffer.isBuffer(item)) {
        this.queue.shift();
        this.queuedBytes -= item.length;
        chunk = item;
      } else {
        const n = Math.min(item.hole, HOLE_CHUNK);
        item.hole -= n;
        if (item.hole === 0) this.queue.shift();
        chunk = Buffer.alloc(n);
      }
      this.wantsData = this.push(chunk);
    }
    if (this.inputPaused && this.queuedBytes < RESUME_BELOW) {
      this.inputPaused = false;
      this.channel.resumeInput();
    }
    if (this.queue.length === 0 && this.remoteEnded && !this.readableDone) {
      this.readableDone = true;
      this.push(null);
    }
  }
}

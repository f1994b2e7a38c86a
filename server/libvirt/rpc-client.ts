// One RPC session over one transport (socket, TLS, ssh pipe): calls
// multiplexed by serial, replies matched back, stream packets routed to their
// stream, keepalive answered, other messages (events) handed to the owner.
// It knows nothing of reconnecting; Connection builds a new one each time.
import type { Duplex } from "node:stream";
import { LibvirtConnectionError, LibvirtError } from "./errors";
import type { ProcedureCall } from "./generated/procedures";
import {
  decodeVirNetMessageError,
  decodeVirNetStreamHole,
  KEEPALIVE_PROC_PING,
  KEEPALIVE_PROC_PONG,
  KEEPALIVE_PROGRAM,
  KEEPALIVE_PROTOCOL_VERSION,
  VIR_NET_CALL,
  VIR_NET_CONTINUE,
  VIR_NET_ERROR,
  VIR_NET_MESSAGE,
  VIR_NET_OK,
  VIR_NET_REPLY,
  VIR_NET_STREAM,
  VIR_NET_STREAM_HOLE,
} from "./generated/protocol";
import { Keepalive } from "./keepalive";
import { encodePacket, PacketDecoder, type Packet, type PacketHeader } from "./packet";
import { LibvirtStream } from "./stream";
import { XdrReader } from "./xdr";

interface PendingCall {
  name: string;
  decode: ((r: XdrReader) => unknown) | null;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface RpcClientOptions {
  /** The connection's URI, for error messages. */
  uri: string;
  /** MESSAGE packets other than keepalive (events). */
  onMessage: (packet: Packet) => void;
  /** Called once when the transport is gone; `err` is null after close(). */
  onClose: (err: Error | null) => void;
  /**
   * Calls sent before the earlier ones are answered; the rest wait here, in order. Unbounded when
   * absent. Over TLS, libvirtd 9.0 leaves calls it has already decrypted unread until more bytes
   * arrive (our keepalive, 5 s later): measured, every burst of calls over qemu+tls took 5 s.
   */
  maxCallsInFlight?: number;
}

export class RpcClient {
  private readonly decoder = new PacketDecoder();
  private readonly pending = new Map<number, PendingCall>();
  /** Encoded calls waiting for room under maxCallsInFlight, oldest first. */
  private held: Buffer[] = [];
  private inFlight = 0;
  private readonly streams = new Map<number, LibvirtStream>();
  private serial = 0;
  private outbox: { data: Buffer; cb?: (err?: Error | null) => void }[] = [];
  private flushScheduled = false;
  private closed = false;
  private closeReason: Error | null = null;
  private keepalive: Keepalive | null = null;
  private pausedStreams = 0;

  constructor(
    private readonly transport: Duplex,
    private readonly options: RpcClientOptions,
  ) {
    transport.on("data", (chunk: Buffer) => this.receive(chunk));
    transport.on("error", (err: Error) => this.fail(err));
    transport.on("close", () => this.fail(null));
    transport.on("end", () => this.fail(null));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  call<A, R>(call: ProcedureCall<A, R>): Promise<R> {
    return this.start(call);
  }

  /** Like call(), and registers a stream before sending so no early data packet is lost. */
  async callStream<A, R>(call: ProcedureCall<A, R>): Promise<{ ret: R; stream: LibvirtStream }> {
    let stream: LibvirtStream | null = null;
    let serial = 0;
    try {
      const ret = await this.start(call, (s) => {
        serial = s;
        stream = new LibvirtStream(this.streamChannel(s, call), call.name);
        this.streams.set(s, stream);
      });
      return { ret, stream: stream! };
    } catch (err) {
      this.streams.delete(serial);
      throw err;
    }
  }

  private start<A, R>(call: ProcedureCall<A, R>, register?: (serial: number) => void): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.closed) {
        reject(this.disconnectedError(call.name));
        return;
      }
      const serial = this.nextSerial();
      let packet: Buffer;
      try {
        packet = this.encodeCall(call, serial);
      } catch (err) {
        reject(new Error(`${call.name} on ${this.options.uri}: cannot encode arguments: ${(err as Error).message}`, { cause: err }));
        return;
      }
      register?.(serial);
      this.pending.set(serial, {
        name: call.name,
        decode: call.decode,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.sendCall(packet);
    });
  }

  private sendCall(packet: Buffer): void {
    const limit = this.options.maxCallsInFlight;
    if (limit !== undefined && this.inFlight >= limit) {
      this.held.push(packet);
      return;
    }
    this.inFlight += 1;
    this.send(packet);
  }

  /** A call was answered: the oldest held one takes its place. */
  private callAnswered(): void {
    this.inFlight -= 1;
    const next = this.held.shift();
    if (next) this.sendCall(next);
  }

  /** Starts our pings; libvirtd pings us only once it knows we support keepalive. */
  startKeepalive(intervalMs: number, count: number, onSilence?: (silent: boolean) => void): void {
    this.keepalive?.stop();
    this.keepalive = new Keepalive(intervalMs, count, {
      silence: onSilence,
      ping: () => this.sendKeepalive(KEEPALIVE_PROC_PING),
      dead: () => this.transport.destroy(new LibvirtConnectionError("disconnected", `${this.options.uri}: no answer to ${count} keepalive pings`)),
    });
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.finishClose(null);
    this.transport.end();
    this.transport.destroy();
  }

  private encodeCall<A, R>(call: ProcedureCall<A, R>, serial: number): Buffer {
    const header: PacketHeader = {
      program: call.program,
      version: call.version,
      procedure: call.procedure,
      type: VIR_NET_CALL,
      serial,
      status: VIR_NET_OK,
    };
    const encode = call.encode;
    return encodePacket(header, encode ? (w) => encode(w, call.args) : undefined);
  }

  private nextSerial(): number {
    this.serial = (this.serial + 1) >>> 0 || 1;
    return this.serial;
  }

  // Writes made in the same tick go out together (one writev), which is what
  // lets a thousand concurrent calls share a few syscalls.
  private send(data: Buffer, cb?: (err?: Error | null) => void): void {
    this.outbox.push({ data, cb });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    if (batch.length === 0) return;
    if (this.closed) {
      const err = this.disconnectedError("write");
      for (const item of batch) item.cb?.(err);
      return;
    }
    this.transport.cork();
    for (const item of batch) this.transport.write(item.data, item.cb);
    this.transport.uncork();
  }

  private receive(chunk: Buffer): void {
    this.keepalive?.traffic();
    let packets: Packet[];
    try {
      packets = this.decoder.push(chunk);
    } catch (err) {
      this.transport.destroy(new LibvirtConnectionError("protocol", `${this.options.uri}: ${(err as Error).message}`));
      return;
    }
    for (const packet of packets) this.dispatch(packet);
  }

  private dispatch(packet: Packet): void {
    const { header } = packet;
    switch (header.type) {
      case VIR_NET_REPLY:
        this.reply(packet);
        return;
      case VIR_NET_MESSAGE:
        if (header.program === KEEPALIVE_PROGRAM) {
          if (header.procedure === KEEPALIVE_PROC_PING) this.sendKeepalive(KEEPALIVE_PROC_PONG);
          return;
        }
        this.options.onMessage(packet);
        return;
      case VIR_NET_STREAM:
      case VIR_NET_STREAM_HOLE:
        this.streamPacket(packet);
        return;
      default:
      // Calls from the server and fd-passing types are not part of the client side.
    }
  }

  private reply(packet: Packet): void {
    const { header } = packet;
    const call = this.pending.get(header.serial);
    if (!call) {
      // An error reply to a stream's finish/abort arrives as a REPLY on the stream's serial.
      const stream = this.streams.get(header.serial);
      if (stream && header.status === VIR_NET_ERROR) stream.receiveError(this.libvirtError(packet, stream.procedure));
      return;
    }
    this.pending.delete(header.serial);
    this.callAnswered();
    if (header.status === VIR_NET_ERROR) {
      call.reject(this.libvirtError(packet, call.name));
      return;
    }
    try {
      call.resolve(call.decode ? call.decode(new XdrReader(packet.body)) : undefined);
    } catch (err) {
      call.reject(
        new LibvirtConnectionError("protocol", `${call.name} on ${this.options.uri}: cannot decode reply: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
  }

  private streamPacket(packet: Packet): void {
    const { header, body } = packet;
    const stream = this.streams.get(header.serial);
    if (!stream) return; // late packets of a stream we already released
    if (header.status === VIR_NET_ERROR) {
      stream.receiveError(this.libvirtError(packet, stream.procedure));
    } else if (header.status === VIR_NET_OK) {
      stream.receiveOk();
    } else if (header.type === VIR_NET_STREAM_HOLE) {
      try {
        stream.receiveHole(decodeVirNetStreamHole(new XdrReader(body)).length);
      } catch (err) {
        stream.destroy(err as Error);
      }
    } else if (header.status === VIR_NET_CONTINUE) {
      stream.receiveData(body);
    }
  }

  private libvirtError(packet: Packet, procedure: string): Error {
    try {
      return new LibvirtError(decodeVirNetMessageError(new XdrReader(packet.body)), { procedure, uri: this.options.uri });
    } catch (err) {
      return new LibvirtConnectionError("protocol", `${procedure} on ${this.options.uri}: unreadable error reply`, { cause: err });
    }
  }

  private streamChannel<A, R>(serial: number, call: ProcedureCall<A, R>) {
    return {
      send: (status: number, data: Buffer | null, cb?: (err?: Error | null) => void) => {
        const header: PacketHeader = {
          program: call.program,
          version: call.version,
          procedure: call.procedure,
          type: VIR_NET_STREAM,
          serial,
          status,
        };
        this.send(encodePacket(header, data ? (w) => w.raw(data) : undefined, (data?.length ?? 0) + 32), cb);
      },
      pauseInput: () => {
        if (this.pausedStreams++ === 0) this.transport.pause();
      },
      resumeInput: () => {
        if (--this.pausedStreams === 0) this.transport.resume();
      },
      release: () => {
        this.streams.delete(serial);
      },
    };
  }

  private sendKeepalive(procedure: number): void {
    this.send(
      encodePacket({
        program: KEEPALIVE_PROGRAM,
        version: KEEPALIVE_PROTOCOL_VERSION,
        procedure,
        type: VIR_NET_MESSAGE,
        serial: 0,
        status: VIR_NET_OK,
      }),
    );
  }

  private fail(err: Error | null): void {
    if (this.closed) return;
    this.finishClose(err ?? new LibvirtConnectionError("disconnected", `${this.options.uri}: connection closed by libvirtd`));
  }

  private finishClose(err: Error | null): void {
    this.closed = true;
    this.closeReason = err;
    this.keepalive?.stop();
    for (const call of this.pending.values()) call.reject(this.disconnectedError(call.name));
    this.pending.clear();
    for (const stream of this.streams.values()) stream.receiveError(this.disconnectedError(stream.procedure));
    this.streams.clear();
    this.options.onClose(err);
  }

  private disconnectedError(name: string): LibvirtConnectionError {
    const reason = this.closeReason;
    if (!reason) return new LibvirtConnectionError("closed", `${name} on ${this.options.uri}: connection closed`);
    return new LibvirtConnectionError("disconnected", `${name} on ${this.options.uri}: connection lost (${reason.message})`, {
      cause: reason,
    });
  }
}

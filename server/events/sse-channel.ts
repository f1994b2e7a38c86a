/**
 * One browser's server-sent event stream with a bounded queue. Events are serialised once per
 * client; a client that stops reading (a phone that went to sleep, a stalled proxy) lets its queue
 * grow only to `maxQueuedBytes`, then it is dropped — its EventSource reconnects by itself and
 * reloads what it shows. Without the bound one stalled tab held every event since it stalled.
 */
export interface SseChannelOptions {
  maxQueuedBytes: number;
  /** Called once when the channel ends, whoever ended it. */
  onClose: (why: "client" | "overflow" | "server") => void;
}

/** What the queue may hold before the client counts as behind (desiredSize goes negative past it). */
const HIGH_WATER_BYTES = 64 * 1024;

export class SseChannel {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private closed = false;

  constructor(private readonly options: SseChannelOptions) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        cancel: () => this.end("client"),
      },
      // desiredSize then counts bytes: highWaterMark minus what the client has not read yet.
      new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_BYTES }),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes waiting for the client. */
  get queuedBytes(): number {
    return this.closed ? 0 : Math.max(0, HIGH_WATER_BYTES - (this.controller.desiredSize ?? 0));
  }

  event(type: string, data: unknown): void {
    this.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /** `retry:` tells the browser how long to wait before reconnecting. */
  retry(ms: number): void {
    this.write(`retry: ${ms}\n\n`);
  }

  close(): void {
    this.end("server");
  }

  private write(text: string): void {
    if (this.closed) return;
    this.controller.enqueue(this.encoder.encode(text));
    if (this.queuedBytes > this.options.maxQueuedBytes) this.end("overflow");
  }

  private end(why: "client" | "overflow" | "server"): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (why === "overflow") this.controller.error(new Error("event stream client fell behind"));
      else if (why === "server") this.controller.close();
    } catch {
      // already closed or errored by the other side
    }
    this.options.onClose(why);
  }
}

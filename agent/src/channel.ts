import { EventEmitter } from "node:events";
import { encodeLine, LineDecoder } from "../protocol/framing";
import type { Logger } from "./log";
import type { Transport } from "./transport/transport";

interface ChannelEvents {
  connect: [];
  line: [line: Buffer];
  overflow: [limit: number];
}

/**
 * Lines in, lines out. All output goes through one queue so that two messages are
 * never interleaved on the wire, whatever the transport does with partial writes.
 */
export class Channel extends EventEmitter<ChannelEvents> {
  private readonly decoder: LineDecoder;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    maxLineBytes: number,
    private readonly log: Logger,
  ) {
    super();
    this.decoder = new LineDecoder(maxLineBytes);
    transport.on("connect", () => {
      // Bytes of a line cut off by a disconnect must not prefix the next host's first line.
      this.decoder.reset();
      this.emit("connect");
    });
    transport.on("data", (chunk) => {
      for (const item of this.decoder.push(chunk)) {
        if (item.kind === "line") this.emit("line", item.line);
        else this.emit("overflow", item.limit);
      }
    });
  }

  get kind(): Transport["kind"] {
    return this.transport.kind;
  }

  start(): void {
    this.transport.start();
  }

  send(message: unknown): Promise<void> {
    return this.sendLine(encodeLine(message));
  }

  /** Resolves when the line has been handed to the OS, or was dropped because no host is there. */
  sendLine(line: Buffer): Promise<void> {
    const written = this.tail.then(() => this.transport.write(line));
    this.tail = written.catch((error: Error) => {
      this.log.debug("message dropped", { bytes: line.length, reason: error.message });
    });
    return this.tail;
  }

  stop(): Promise<void> {
    return this.transport.stop();
  }
}

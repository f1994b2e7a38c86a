import type { EventEmitter } from "node:events";

export interface TransportEvents {
  /** A host is (again) on the other side: a socket connected, or the port reports a host. */
  connect: [];
  disconnect: [];
  /** Valid only while the listeners run: readers reuse their buffer (LineDecoder copies what it keeps). */
  data: [chunk: Buffer];
}

/** A byte channel to the host that survives the host going away and coming back. */
export interface Transport extends EventEmitter<TransportEvents> {
  readonly kind: "virtio-serial" | "unix-socket";
  start(): void;
  /** Resolves once the bytes are handed to the OS; rejects with NotConnectedError when no host is there. */
  write(data: Buffer): Promise<void>;
  stop(): Promise<void>;
}

export class NotConnectedError extends Error {
  override readonly name = "NotConnectedError";
}

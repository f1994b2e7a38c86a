import type { Duplex } from "node:stream";
import type { WebSocket, RawData } from "ws";

/**
 * Bytes between a browser's WebSocket and the console's other end (libvirt's console stream, QEMU's
 * VNC socket, or ssh's forward to it), bounded both ways: a browser that does not read (a phone asleep, a slow
 * link) pauses the source once `HIGH_WATER` bytes wait in its socket, instead of the process
 * holding a whole screen stream for it; a source that does not take input pauses the browser's socket.
 */
export const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Keeps what the browser sends while the console's other end is being opened (a keystroke typed
 * at once, noVNC's first message): a WebSocket drops messages nobody listens for.
 */
export function holdMessages(ws: WebSocket): () => RawData[] {
  const held: RawData[] = [];
  const hold = (data: RawData) => held.push(data);
  ws.on("message", hold);
  return () => {
    ws.off("message", hold);
    return held;
  };
}

/**
 * Pipes both ways until either side ends; `onEnd` runs once, with the error of the source if it
 * failed. The WebSocket is not closed here: the caller words the close. `early` is what the browser
 * sent before (holdMessages); a browser that left meanwhile gets the source closed at once.
 */
export function bridge(ws: WebSocket, source: Duplex, early: RawData[], onEnd: (error: Error | null) => void): void {
  if (ws.readyState !== ws.OPEN) {
    source.destroy();
    return;
  }
  for (const data of early) source.write(toBuffer(data));
  let ended = false;
  const end = (error: Error | null) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  source.on("data", (chunk: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (source.isPaused() && ws.bufferedAmount < LOW_WATER) source.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) source.pause();
  });
  ws.on("message", (data) => {
    if (ended) return;
    if (!source.write(toBuffer(data))) {
      ws.pause();
      source.once("drain", () => ws.resume());
    }
  });
  source.once("end", () => end(null));
  source.once("close", () => end(null));
  source.once("error", (error: Error) => end(error));
  ws.once("close", () => {
    ended = true;
    source.destroy();
  });
  // A source may come paused (the VNC greeting read through ssh was put back): it flows now that its bytes have somewhere to go.
  source.resume();
}

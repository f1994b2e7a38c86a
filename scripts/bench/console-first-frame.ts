// How long a graphical console takes to show the guest's screen: from the page asking for a ticket
// to the last byte of the first full frame, through the production server over HTTPS, on a TCG test
// guest with a VGA card (kernel text on tty0). Split into ticket (tRPC), upgrade (the WebSocket's
// checks and QEMU's VNC connection) and the RFB handshake plus one full, raw-encoded frame.
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { startDashboard } from "../../e2e/support/dashboard-server";
import { HttpClient } from "../../e2e/support/http-client";
import { createTestDomain } from "../../e2e/fixtures/test-host";

export interface ConsoleFirstFrameResult {
  ticket: number[];
  upgrade: number[];
  firstFrame: number[];
  width: number;
  height: number;
}

/** A byte queue the RFB reader awaits exact lengths from. */
class Bytes {
  private buffer = Buffer.alloc(0);
  private waiting: { n: number; resolve: (b: Buffer) => void } | null = null;

  push(chunk: Buffer) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.settle();
  }

  take(n: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting = { n, resolve };
      this.settle();
    });
  }

  private settle() {
    if (!this.waiting || this.buffer.length < this.waiting.n) return;
    const { n, resolve } = this.waiting;
    this.waiting = null;
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    resolve(out);
  }
}

/** RFB 3.8 with no authentication (QEMU's VNC on loopback), then one full framebuffer update in raw encoding. */
async function firstFrame(ws: WebSocket, bytes: Bytes): Promise<{ width: number; height: number }> {
  await bytes.take(12);
  ws.send(Buffer.from("RFB 003.008\n"));
  const types = await bytes.take((await bytes.take(1))[0]!);
  if (!types.includes(1)) throw new Error(`QEMU offers no "None" security type: ${[...types].join(",")}`);
  ws.send(Buffer.from([1]));
  if ((await bytes.take(4)).readUInt32BE(0) !== 0) throw new Error("VNC security handshake failed");
  ws.send(Buffer.from([1]));
  const init = await bytes.take(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const bytesPerPixel = init[4]! / 8;
  await bytes.take(init.readUInt32BE(20));
  const request = Buffer.alloc(10);
  request.writeUInt8(3, 0);
  request.writeUInt16BE(width, 6);
  request.writeUInt16BE(height, 8);
  ws.send(request);
  let covered = 0;
  while (covered < width * height) {
    const header = await bytes.take(4);
    if (header[0] !== 0) throw new Error(`unexpected RFB message type ${header[0]}`);
    for (let rects = header.readUInt16BE(2); rects > 0; rects--) {
      const rect = await bytes.take(12);
      const w = rect.readUInt16BE(4);
      const h = rect.readUInt16BE(6);
      if (rect.readInt32BE(8) !== 0) throw new Error(`unexpected encoding ${rect.readInt32BE(8)}`);
      await bytes.take(w * h * bytesPerPixel);
      covered += w * h;
    }
  }
  return { width, height };
}

export async function benchConsoleFirstFrame(runs = 20): Promise<ConsoleFirstFrameResult> {
  const server = await startDashboard();
  const guest = await createTestDomain({ label: "bench-console", display: true }).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  try {
    await guest.waitForReady(120_000);
    const admin = new HttpClient(server);
    if ((await admin.signIn("admin", server.adminPassword)).status !== 200) throw new Error("the admin could not sign in");
    const result: ConsoleFirstFrameResult = { ticket: [], upgrade: [], firstFrame: [], width: 0, height: 0 };
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const res = await admin.trpc("mutation", "consoles.ticket", { hostId: "local", uuid: guest.uuid, kind: "vnc" });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`consoles.ticket answered ${res.status}: ${body}`);
      const { path } = (JSON.parse(body) as { result: { data: { path: string } } }).result.data;
      const ticketed = performance.now();
      const bytes = new Bytes();
      const ws = new WebSocket(`${server.url.replace(/^http/, "ws")}${path}`, {
        ca: server.certificate() ?? undefined,
        headers: { origin: server.url, cookie: admin.cookieHeader() },
      });
      ws.on("message", (data: Buffer) => bytes.push(data));
      await new Promise<void>((resolve, reject) => {
        ws.once("open", () => resolve());
        ws.once("error", reject);
      });
      const upgraded = performance.now();
      const size = await firstFrame(ws, bytes);
      const done = performance.now();
      ws.close();
      result.ticket.push(ticketed - started);
      result.upgrade.push(upgraded - ticketed);
      result.firstFrame.push(done - started);
      Object.assign(result, size);
    }
    return result;
  } finally {
    await Promise.allSettled([guest.destroy(), server.stop()]);
  }
}

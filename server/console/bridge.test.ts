import assert from "node:assert/strict";
import { once } from "node:events";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { test } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { bridge, HIGH_WATER } from "./bridge";
import { connectVnc } from "./service";

/**
 * The bridge with a VNC forward's process as its source (a node stand-in for ssh, as in
 * service.test.ts) and a real WebSocket on loopback whose browser stops reading for a while.
 */
const TOTAL = 16 * 1024 * 1024;
const GREETING = "RFB 003.008\n";
/** Greets, then writes TOTAL bytes as fast as its stdout takes them, and stays (as QEMU's VNC server does) until killed. */
const FLOOD = `process.stdout.write(${JSON.stringify(GREETING)}); const chunk = Buffer.alloc(65536, 120); let left = ${TOTAL};
const more = () => { while (left > 0) { left -= chunk.length; if (!process.stdout.write(chunk)) return process.stdout.once("drain", more); } }; more();
process.stdin.resume();`;

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a browser that stops reading pauses the forward: what waits for it stays near the high-water mark, and nothing is lost when it reads again", async () => {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  let browser: WebSocket | undefined;
  let source: Duplex | undefined;
  try {
    const accepted = once(wss, "connection") as Promise<[WebSocket]>;
    browser = new WebSocket(`ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}`);
    await once(browser, "open");
    const [ws] = await accepted;
    let received = 0;
    browser.on("message", (data: Buffer) => (received += data.length));
    browser.pause();

    const flood = await connectVnc({ kind: "ssh", file: process.execPath, args: ["-e", FLOOD], target: "127.0.0.1:5900" }, 'VM "web-1" on host "b"');
    source = flood;
    let mostWaiting = 0;
    flood.on("data", () => (mostWaiting = Math.max(mostWaiting, ws.bufferedAmount)));
    bridge(ws, flood, [], () => undefined);

    await until(() => flood.isPaused(), "the bridge to pause the source");
    browser.resume();
    await until(() => received === GREETING.length + TOTAL, `all ${TOTAL} bytes to arrive (${received} so far)`);
    // Without the pause the whole flood, less what the kernel's socket buffers hold, would wait in the process.
    assert.ok(mostWaiting < HIGH_WATER + 256 * 1024, `at most ${mostWaiting} bytes waited for the browser`);
    browser.close();
    await once(flood, "close");
  } finally {
    // A failed check leaves the flood's process and both sockets open, which would keep the test process alive.
    browser?.terminate();
    source?.destroy();
    wss.close();
  }
});

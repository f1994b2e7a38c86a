import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { waitFor } from "../../test/wait";
import { Logger } from "../log";
import { NotConnectedError } from "./transport";
import { PORT_WRITE_CHUNK, PollingPortTransport, type PortIo } from "./polling-port";

type ReadStep = Buffer | "eof" | "ENODEV";

const errno = (code: string) => Object.assign(new Error(code), { code });

/** A port driven by a script: each read takes the next step; an empty script reads as "host there, no data". */
class ScriptedPort implements PortIo {
  readonly steps: ReadStep[] = [];
  readonly writes: Buffer[] = [];
  eagainWrites = 0;
  closed = false;

  async read(buffer: Buffer): Promise<number> {
    const step = this.steps.shift();
    if (step === undefined) throw errno("EAGAIN");
    if (step === "eof") return 0;
    if (step === "ENODEV") throw errno("ENODEV");
    step.copy(buffer);
    return step.length;
  }

  async write(buffer: Buffer, offset: number, length: number): Promise<number> {
    if (this.eagainWrites > 0) {
      this.eagainWrites--;
      throw errno("EAGAIN");
    }
    // The kernel may move less than asked; take at most half a chunk to exercise the loop.
    const moved = Math.min(length, PORT_WRITE_CHUNK / 2 + 1);
    assert.ok(length <= PORT_WRITE_CHUNK, `write of ${length} bytes exceeds 32 KiB`);
    this.writes.push(Buffer.from(buffer.subarray(offset, offset + moved)));
    return moved;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const silent = new Logger("error", { write: () => undefined });

function transportOver(...ports: ScriptedPort[]) {
  let opened = 0;
  const transport = new PollingPortTransport("/dev/virtio-ports/test", silent, async () => {
    const port = ports[opened];
    if (!port) throw errno("ENOENT");
    opened++;
    return port;
  });
  const events: string[] = [];
  const data: Buffer[] = [];
  transport.on("connect", () => events.push("connect"));
  transport.on("disconnect", () => events.push("disconnect"));
  transport.on("data", (chunk) => data.push(Buffer.from(chunk)));
  return { transport, events, data, opened: () => opened };
}

describe("PollingPortTransport", () => {
  it('treats EOF as "host away" and data or EAGAIN afterwards as the host coming back', async () => {
    const port = new ScriptedPort();
    port.steps.push(Buffer.from("a"), "eof", "eof", Buffer.from("b"));
    const { transport, events, data } = transportOver(port);
    transport.start();
    await waitFor("both chunks", () => (data.length === 2 ? true : undefined));
    assert.deepEqual(events, ["connect", "disconnect", "connect"]);
    assert.deepEqual(Buffer.concat(data).toString(), "ab");
    port.steps.push("eof");
    await waitFor("disconnect", () => (events.length === 4 ? true : undefined));
    await waitFor("reconnect on EAGAIN", () => (events.length === 5 ? true : undefined));
    assert.deepEqual(events.slice(3), ["disconnect", "connect"]);
    await transport.stop();
  });

  it("writes in pieces of at most 32 KiB, retrying EAGAIN, without losing or reordering bytes", async () => {
    const port = new ScriptedPort();
    port.eagainWrites = 3;
    const { transport, events } = transportOver(port);
    transport.start();
    await waitFor("open", () => (events.includes("connect") ? true : undefined));
    const message = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    await transport.write(message);
    assert.deepEqual(Buffer.concat(port.writes), message);
    assert.ok(port.writes.length >= Math.ceil(message.length / PORT_WRITE_CHUNK));
    await transport.stop();
  });

  it("drops writes while no host is connected instead of waiting forever", async () => {
    const port = new ScriptedPort();
    port.steps.push("eof");
    const { transport, events } = transportOver(port);
    transport.start();
    await waitFor("disconnect", () => (events.includes("disconnect") ? true : undefined));
    await assert.rejects(transport.write(Buffer.from("x\n")), NotConnectedError);
    port.steps.length = 0;
    await transport.stop();
  });

  it("reopens the port after a read error such as ENODEV (hot-unplug)", async () => {
    const first = new ScriptedPort();
    first.steps.push("ENODEV");
    const second = new ScriptedPort();
    second.steps.push(Buffer.from("again"));
    const { transport, data, opened } = transportOver(first, second);
    transport.start();
    await waitFor("data from the reopened port", () => (data.length === 1 ? true : undefined));
    assert.equal(opened(), 2);
    assert.equal(first.closed, true);
    await transport.stop();
  });
});

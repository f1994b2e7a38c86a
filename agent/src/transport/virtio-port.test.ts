import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { waitFor } from "../../test/wait";
import { Logger } from "../log";
import { NotConnectedError } from "./transport";
import { directWrite, pipeBinding, probeRead, VirtioPortTransport, type DirectWrite, type OpenPortFd } from "./virtio-port";

/**
 * The read side of a FIFO behaves like a virtio-serial port seen from the guest:
 * without a writer (the host) read returns 0 and poll reports POLLHUP, with a quiet
 * writer read gives EAGAIN. (Writing back needs the real port: the e2e guest test.)
 */
const openFifo: OpenPortFd = (file) =>
  new Promise((resolve, reject) => {
    fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (error, fd) => (error ? reject(error) : resolve(fd)));
  });

const silent = new Logger("error", { write: () => undefined });
const binding = pipeBinding();

/** CPU time this process spends over `ms` of waiting, in ms. */
async function cpuDuring(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

describe("VirtioPortTransport", { skip: binding === null ? "no pipe_wrap binding in this Node" : false }, () => {
  let dir: string;
  let fifo: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-port-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const setup = (open: OpenPortFd = openFifo, write: DirectWrite = directWrite) => {
    fifo = path.join(dir, `port-${Math.random().toString(16).slice(2)}`);
    execFileSync("mkfifo", [fifo]);
    let opens = 0;
    let probes = 0;
    const transport = new VirtioPortTransport(fifo, silent, {
      binding: binding!,
      open: (file) => {
        opens++;
        return open(file);
      },
      probe: (fd, buffer) => {
        probes++;
        return probeRead(fd, buffer);
      },
      write,
    });
    const events: string[] = [];
    const data: Buffer[] = [];
    transport.on("connect", () => events.push("connect"));
    transport.on("disconnect", () => events.push("disconnect"));
    transport.on("data", (chunk) => data.push(Buffer.from(chunk)));
    const text = () => Buffer.concat(data).toString();
    /** The host side: opening the FIFO for writing fails with ENXIO while no reader holds it. */
    const host = () => fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    return { transport, events, text, host, opens: () => opens, probes: () => probes };
  };

  it("waits for data without polling while a host is there, and probes every 100 ms while none is", async () => {
    const { transport, events, text, host, opens, probes } = setup();
    transport.start();
    await waitFor("the port to be open", () => (probes() > 0 ? true : undefined));
    await sleep(350);
    assert.deepEqual(events, [], "no host yet");
    assert.ok(probes() >= 2 && probes() <= 6, `${probes()} probes in ~350 ms with no host`);

    const writer = host();
    await waitFor("the host to be seen", () => (events.length === 1 ? true : undefined));
    fs.writeSync(writer, "a\n");
    await waitFor("first data", () => (text() === "a\n" ? true : undefined));
    const probesWhileConnected = probes();
    const busy = await cpuDuring(500);
    assert.equal(probes(), probesWhileConnected, "no reads while the connected host is quiet");
    assert.ok(busy < 150, `${busy.toFixed(0)} ms of CPU in 500 ms with a quiet host`);
    fs.writeSync(writer, "b\n");
    await waitFor("data after a quiet spell", () => (text() === "a\nb\n" ? true : undefined));

    fs.closeSync(writer);
    await waitFor("the host to be gone", () => (events.length === 2 ? true : undefined));
    const probesAfterHup = probes();
    const absent = await cpuDuring(500);
    assert.ok(absent < 150, `${absent.toFixed(0)} ms of CPU in 500 ms while the port reports POLLHUP`);
    assert.ok(probes() - probesAfterHup <= 7, `${probes() - probesAfterHup} probes in 500 ms with no host`);

    const again = host();
    fs.writeSync(again, "c\n");
    await waitFor("data from the returning host", () => (text() === "a\nb\nc\n" ? true : undefined));
    assert.deepEqual(events, ["connect", "disconnect", "connect"]);
    assert.equal(opens(), 1, "the port stays open while the host is away");

    await transport.stop();
    assert.deepEqual(events, ["connect", "disconnect", "connect", "disconnect"]);
    assert.throws(() => fs.writeSync(again, "x"), /EPIPE/, "stop() closed the port");
    fs.closeSync(again);
  });

  it("refuses writes while no host is connected instead of queueing them", async () => {
    const { transport, probes } = setup();
    transport.start();
    await waitFor("a probe", () => (probes() > 0 ? true : undefined));
    await assert.rejects(transport.write(Buffer.from("x\n")), NotConnectedError);
    await transport.stop();
  });

  it("keeps trying to open a port that is not there yet", async () => {
    let failures = 2;
    const { transport, events, host, opens } = setup((file) => (failures-- > 0 ? Promise.reject(new Error("ENOENT")) : openFifo(file)));
    transport.start();
    await waitFor("the third attempt", () => (opens() === 3 ? true : undefined), 3_000);
    await waitFor("the reader to be there", () => {
      try {
        return host();
      } catch {
        return undefined;
      }
    }).then((writer) => fs.closeSync(writer));
    await transport.stop();
    assert.throws(host, /ENXIO/, "stop() closed the port");
    assert.ok(events.length % 2 === 0, "every connect has its disconnect");
  });

  /** Opened read-write, the FIFO is its own host: what the transport writes comes back as data. */
  const openLoopback: OpenPortFd = (file) =>
    new Promise((resolve, reject) => {
      fs.open(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK, (error, fd) => (error ? reject(error) : resolve(fd)));
    });

  it("sends a reply in one direct write when nothing is queued", async () => {
    const calls: number[] = [];
    const { transport, events, text } = setup(openLoopback, (fd, data) => {
      calls.push(data.length);
      return directWrite(fd, data);
    });
    transport.start();
    await waitFor("the loopback host", () => (events.length === 1 ? true : undefined));
    await transport.write(Buffer.from('{"id":1}\n'));
    assert.deepEqual(calls, [9]);
    await waitFor("the reply to come back", () => (text() === '{"id":1}\n' ? true : undefined));
    await transport.stop();
  });

  it("hands libuv whatever the direct write could not take, in order", async () => {
    const cuts: DirectWrite[] = [
      (fd, data) => directWrite(fd, data.subarray(0, 3)), // the kernel took only part of it
      () => {
        throw Object.assign(new Error("EAGAIN: resource temporarily unavailable, write"), { code: "EAGAIN" }); // queue full
      },
    ];
    for (const cut of cuts) {
      const { transport, events, text } = setup(openLoopback, cut);
      transport.start();
      await waitFor("the loopback host", () => (events.length === 1 ? true : undefined));
      const message = `{"jsonrpc":"2.0","id":7,"result":"${"x".repeat(100_000)}"}\n`;
      await transport.write(Buffer.from(message));
      await waitFor("all of the message", () => (text().length === message.length ? true : undefined));
      assert.equal(text(), message);
      await transport.stop();
    }
  });
});

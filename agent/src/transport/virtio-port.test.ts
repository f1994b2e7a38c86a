import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { waitFor } from "../../test/wait";
import { Logger } from "../log";
import { NotConnectedError } from "./transport";
import {
  directWrite,
  HOST_ABSENT_FAST_FOR_MS,
  HOST_ABSENT_POLL_MS,
  HOST_ABSENT_SLOW_POLL_MS,
  pipeBinding,
  probeRead,
  REOPEN_MIN_MS,
  VirtioPortTransport,
  type DirectWrite,
  type OpenPortFd,
  type Schedule,
} from "./virtio-port";

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

/**
 * The transport's timers, held by the test: it sees what the transport asked for and fires it,
 * so the probing schedule is checked without waiting for it. (What a quiet port costs in CPU is
 * a measurement, not a test: scripts/bench/agent-port.ts.)
 */
function manualClock() {
  const pending: { action: () => void; ms: number }[] = [];
  let now = 1_000_000;
  const schedule: Schedule = (action, ms) => {
    const timer = { action, ms };
    pending.push(timer);
    return () => {
      const at = pending.indexOf(timer);
      if (at >= 0) pending.splice(at, 1);
    };
  };
  return {
    schedule,
    now: () => now,
    advance: (ms: number) => void (now += ms),
    /** The delay the one armed timer asked for, or null when none is armed. */
    armed(): number | null {
      assert.ok(pending.length <= 1, `${pending.length} timers armed at once`);
      return pending[0]?.ms ?? null;
    },
    fire(): void {
      const timer = pending.shift();
      assert.ok(timer, "no timer is armed");
      timer.action();
    },
  };
}

describe("VirtioPortTransport", { skip: binding === null ? "no pipe_wrap binding in this Node" : false }, () => {
  let dir: string;
  let fifo: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-port-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const setup = (open: OpenPortFd = openFifo, write: DirectWrite = directWrite, clock?: ReturnType<typeof manualClock>) => {
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
      ...(clock && { schedule: clock.schedule, now: clock.now }),
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

  it("probes every 100 ms while no host is there (every second after 10 s), and arms no timer while one is", async () => {
    const clock = manualClock();
    const { transport, events, text, host, opens, probes } = setup(openFifo, directWrite, clock);
    transport.start();
    await waitFor("the first probe", () => (probes() === 1 ? true : undefined));
    assert.equal(clock.armed(), HOST_ABSENT_POLL_MS, "no host: the next probe in 100 ms");
    clock.fire();
    assert.equal(probes(), 2);
    assert.equal(clock.armed(), HOST_ABSENT_POLL_MS);
    clock.advance(HOST_ABSENT_FAST_FOR_MS);
    clock.fire();
    assert.equal(clock.armed(), HOST_ABSENT_SLOW_POLL_MS, "still no host after 10 s: once a second");
    assert.deepEqual(events, [], "no host yet");

    const writer = host();
    clock.fire();
    assert.deepEqual(events, ["connect"], "the probe found the host");
    // Reads now wait in epoll: nothing is scheduled, so nothing runs until the host writes.
    assert.equal(clock.armed(), null, "no timer while a host is connected");
    const probesWhileConnected = probes();
    fs.writeSync(writer, "a\n");
    await waitFor("first data", () => (text() === "a\n" ? true : undefined));
    fs.writeSync(writer, "b\n");
    await waitFor("more data", () => (text() === "a\nb\n" ? true : undefined));
    assert.equal(probes(), probesWhileConnected, "data arrives without probes");
    assert.equal(clock.armed(), null);

    fs.closeSync(writer);
    await waitFor("the host to be gone", () => (events.length === 2 ? true : undefined));
    assert.equal(clock.armed(), HOST_ABSENT_POLL_MS, "the host left: probing again, every 100 ms");
    clock.fire();
    assert.equal(clock.armed(), HOST_ABSENT_POLL_MS);

    const again = host();
    fs.writeSync(again, "c\n");
    clock.fire();
    await waitFor("data from the returning host", () => (text() === "a\nb\nc\n" ? true : undefined));
    assert.deepEqual(events, ["connect", "disconnect", "connect"]);
    assert.equal(opens(), 1, "the port stays open while the host is away");

    await transport.stop();
    assert.deepEqual(events, ["connect", "disconnect", "connect", "disconnect"]);
    assert.equal(clock.armed(), null, "stop() leaves no timer");
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

  it("keeps trying to open a port that is not there yet, waiting twice as long each time", async () => {
    const clock = manualClock();
    let failures = 2;
    const { transport, host, opens, probes } = setup((file) => (failures-- > 0 ? Promise.reject(new Error("ENOENT")) : openFifo(file)), directWrite, clock);
    transport.start();
    await waitFor("the first retry", () => (clock.armed() === REOPEN_MIN_MS ? true : undefined));
    clock.fire();
    await waitFor("the second retry", () => (clock.armed() === 2 * REOPEN_MIN_MS ? true : undefined));
    clock.fire();
    await waitFor("the port to be open", () => (probes() === 1 ? true : undefined));
    assert.equal(opens(), 3);
    fs.closeSync(host());
    await transport.stop();
    assert.throws(host, /ENXIO/, "stop() closed the port");
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

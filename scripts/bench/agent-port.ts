// What the guest agent's virtio-serial transport costs while it waits, on a FIFO (whose read side
// behaves like the port: EAGAIN with a quiet host, EOF and POLLHUP without one). Moved here from
// agent/src/transport/virtio-port.test.ts, which asserts the schedule instead: CPU time over a
// window depends on the machine's load, so it is a figure to read, never a pass/fail bound.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "../../agent/src/log";
import { HOST_ABSENT_POLL_MS, pipeBinding, probeRead, VirtioPortTransport } from "../../agent/src/transport/virtio-port";

export interface AgentPortFigures {
  windowMs: number;
  /** CPU time of this process while a connected host sends nothing. */
  quietCpuMs: number;
  /** CPU time while no host holds the port (the port reports POLLHUP), and the probes made meanwhile. */
  absentCpuMs: number;
  absentProbes: number;
  /** Probes a 100 ms schedule makes in the window. */
  expectedProbes: number;
}

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`agent port bench: timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function cpuDuring(ms: number): Promise<number> {
  const before = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Null when this Node has no pipe_wrap binding (the agent then polls: polling-port.ts). */
export async function benchAgentPort(windowMs = 2_000): Promise<AgentPortFigures | null> {
  const binding = pipeBinding();
  if (!binding) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-bench-port-"));
  const fifo = path.join(dir, "port");
  execFileSync("mkfifo", [fifo]);
  let probes = 0;
  let connected = false;
  let received = "";
  const transport = new VirtioPortTransport(fifo, new Logger("error", { write: () => undefined }), {
    binding,
    open: (file) =>
      new Promise((resolve, reject) => {
        fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (error, fd) => (error ? reject(error) : resolve(fd)));
      }),
    probe: (fd, buffer) => {
      probes++;
      return probeRead(fd, buffer);
    },
  });
  transport.on("connect", () => (connected = true));
  transport.on("disconnect", () => (connected = false));
  transport.on("data", (chunk) => (received += chunk.toString()));
  try {
    transport.start();
    await until("the port to open", () => probes > 0);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    await until("the host to be seen", () => connected);
    fs.writeSync(writer, "ping\n");
    await until("the data", () => received === "ping\n");
    const quietCpuMs = await cpuDuring(windowMs);

    fs.closeSync(writer);
    await until("the host to leave", () => !connected);
    const probesBefore = probes;
    const absentCpuMs = await cpuDuring(windowMs);
    return { windowMs, quietCpuMs, absentCpuMs, absentProbes: probes - probesBefore, expectedProbes: windowMs / HOST_ABSENT_POLL_MS };
  } finally {
    await transport.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

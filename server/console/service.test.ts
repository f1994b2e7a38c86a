import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectVnc } from "./service";
import type { VncRoute } from "./vnc-route";

/**
 * connectVnc's forward with a stand-in for ssh: a node process run the way ssh is (argv, no shell,
 * stdin/stdout the bytes, stderr the complaint), so the waiting for the greeting, the words of a
 * failure and the kill at the end are checked without a network.
 */
const CONTEXT = 'VM "web-1" on host "b"';

function standIn(script: string): VncRoute {
  return { kind: "ssh", file: process.execPath, args: ["-e", script], target: "127.0.0.1:5900" };
}

/** Greets like QEMU, says its pid, then echoes what it reads. */
const ECHO_SERVER = `process.stdout.write("RFB 003.008\\n" + process.pid + "\\n"); process.stdin.pipe(process.stdout);`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("the forward resolves once the greeting came, with the greeting still to read; bytes go both ways; destroying it kills the process", async () => {
  const stream = await connectVnc(standIn(ECHO_SERVER), CONTEXT);
  assert.equal(stream.isPaused(), true, "handed over paused, for the bridge to start");
  let received = "";
  stream.on("data", (chunk: Buffer) => (received += chunk.toString()));
  stream.resume();
  await until(() => /^RFB 003\.008\n\d+\n$/.test(received), "the greeting and the pid");
  const pid = Number(received.split("\n")[1]);
  stream.write("RFB 003.008\n");
  await until(() => received.endsWith("\nRFB 003.008\n"), "the echo");
  stream.destroy();
  await until(() => !isAlive(pid), `process ${pid} to end`);
});

test("a forward that ends before the greeting rejects with the first line of its complaint, naming VM and host", async () => {
  const ssh = `process.stderr.write("channel 0: open failed: connect failed: Connection refused\\r\\nstdio forwarding failed\\r\\n"); process.exit(255);`;
  await assert.rejects(connectVnc(standIn(ssh), CONTEXT), {
    message: `${CONTEXT}: VNC through ssh: channel 0: open failed: connect failed: Connection refused`,
  });
  await assert.rejects(connectVnc(standIn("process.exit(3)"), CONTEXT), { message: `${CONTEXT}: VNC through ssh: ${process.execPath} exited with code 3` });
});

test("a program that cannot be run is named in the refusal", async () => {
  await assert.rejects(connectVnc({ kind: "ssh", file: "/nonexistent/ssh", args: [], target: "127.0.0.1:5900" }, CONTEXT), {
    message: `${CONTEXT}: cannot run /nonexistent/ssh: spawn /nonexistent/ssh ENOENT`,
  });
});

test("a direct connection that nobody answers is refused with the address, naming VM and host", async () => {
  await assert.rejects(connectVnc({ kind: "unix", path: "/nonexistent/vnc.sock" }, CONTEXT, 0), {
    message: `${CONTEXT}: cannot reach its VNC display at /nonexistent/vnc.sock: connect ENOENT /nonexistent/vnc.sock`,
  });
});

test("a display that refuses at first is asked again until it listens, as one of a VM libvirt is still starting", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-vnc-"));
  const socketPath = path.join(dir, "vnc.sock");
  const server = net.createServer((socket) => socket.end("RFB 003.008\n"));
  try {
    // The first try is made at the call, and a missing socket is refused at once (ENOENT).
    const connecting = connectVnc({ kind: "unix", path: socketPath }, CONTEXT);
    let settled = false;
    connecting.then(
      () => (settled = true),
      () => (settled = true),
    );
    // Not a wait for state: the display comes late on purpose, as QEMU's does after libvirt has named it.
    await sleep(1_000);
    assert.equal(settled, false, "still asking after the refusals");
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    const stream = await connecting;
    const [greeting] = (await once(stream, "data")) as [Buffer];
    assert.equal(greeting.toString(), "RFB 003.008\n");
    stream.destroy();
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import type { AgentClient } from "../protocol/client";
import { ErrorCode, RpcError } from "../protocol/errors";
import { startHost, waitFor, type Host } from "./harness";

const refusedWith = (code: number) => (error: unknown) => error instanceof RpcError && error.code === code;

/** Pids of live processes whose process group is `pgid` (field 5 of /proc/PID/stat). */
async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => null);
    if (!stat) continue;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(name));
  }
  return members;
}

describe("exec_command", () => {
  let host: Host;
  let client: AgentClient;
  before(async () => {
    host = await startHost({ config: { exec_output_max_bytes: 1024 * 1024 } });
    client = await host.client();
  });
  after(() => host.stop());

  it("runs a program without a shell, with stdin, env and cwd", async () => {
    const result = await client.call("exec_command", {
      command: "sh",
      args: ["-c", 'read line; echo "$line $GREETING $(pwd)"; echo oops >&2; exit 3'],
      stdin: "hello\n",
      env: { GREETING: "world" },
      cwd: host.allowed,
    });
    assert.equal(result.stdout, `hello world ${host.allowed}\n`);
    assert.equal(result.stderr, "oops\n");
    assert.equal(result.exit_code, 3);
    assert.equal(result.signal, null);
    assert.equal(result.timed_out, false);
    const literal = await client.call("exec_command", { command: "echo", args: ["$HOME", "; rm -rf /"] });
    assert.equal(literal.stdout, "$HOME ; rm -rf /\n");
  });

  it("passes binary data with base64 encoding", async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 128]);
    const result = await client.call("exec_command", { command: "cat", stdin: bytes.toString("base64"), encoding: "base64" });
    assert.deepEqual(Buffer.from(result.stdout, "base64"), bytes);
  });

  it("reports a missing program as NotFound", async () => {
    await assert.rejects(client.call("exec_command", { command: "no-such-program-kvmm" }), refusedWith(ErrorCode.NotFound));
  });

  it("kills the whole process group on timeout and leaves no process behind", async () => {
    const result = await client.call("exec_command", { command: "sh", args: ["-c", "sleep 300 & sleep 300"], timeout_ms: 500 });
    assert.equal(result.timed_out, true);
    assert.equal(result.signal, "SIGKILL");
    await waitFor("the process group to be gone", async () => ((await groupMembers(result.pid)).length === 0 ? true : undefined));
  });

  it("caps output above 1 MiB and flags it as truncated", async () => {
    const result = await client.call("exec_command", { command: "head", args: ["-c", String(3 * 1024 * 1024), "/dev/zero"] });
    assert.equal(result.truncated, true);
    assert.equal(result.stdout.length, 1024 * 1024);
    assert.equal(result.exit_code, 0);
  });
});

describe("exec_command restrictions", () => {
  it("is refused when exec_enabled is false", async () => {
    const host = await startHost({ config: { exec_enabled: false } });
    try {
      const client = await host.client();
      await assert.rejects(client.call("exec_command", { command: "true" }), refusedWith(ErrorCode.PermissionDenied));
    } finally {
      await host.stop();
    }
  });

  it("runs only allow-listed commands, looked up in the agent's own PATH", async () => {
    const host = await startHost({ config: { allowed_commands: ["echo"] } });
    try {
      const client = await host.client();
      assert.equal((await client.call("exec_command", { command: "echo", args: ["ok"] })).stdout, "ok\n");
      await assert.rejects(client.call("exec_command", { command: "sh", args: ["-c", "id"] }), refusedWith(ErrorCode.PermissionDenied));
      await assert.rejects(client.call("exec_command", { command: "/bin/echo" }), refusedWith(ErrorCode.PermissionDenied));
    } finally {
      await host.stop();
    }
  });
});

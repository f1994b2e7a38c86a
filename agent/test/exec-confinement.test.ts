import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { AgentClient } from "../protocol/client";
import { ErrorCode, RpcError } from "../protocol/errors";
import { startHost, type Host } from "./harness";

const run = promisify(execFile);
const refusedWith = (code: number, mentions: string) => (error: unknown) =>
  error instanceof RpcError && error.code === code && error.message.includes(mentions);
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * A shared library whose constructor creates `marker`: what an attacker would
 * preload. Null when no C compiler is installed; the refusal is tested anyway.
 */
async function buildPreloadLibrary(dir: string, marker: string): Promise<string | null> {
  const source = path.join(dir, "planted.c");
  const library = path.join(dir, "planted.so");
  await writeFile(
    source,
    `#include <fcntl.h>\n__attribute__((constructor)) static void planted(void) { open(${JSON.stringify(marker)}, O_CREAT | O_WRONLY, 0644); }\n`,
  );
  try {
    await run("cc", ["-shared", "-fPIC", "-o", library, source]);
  } catch {
    return null;
  }
  // The library really runs code when preloaded: the agent must be what stops it.
  await run("true", [], { env: { ...process.env, LD_PRELOAD: library } });
  assert.equal(await exists(marker), true, "the planted library did not run when preloaded directly");
  await rm(marker);
  return library;
}

describe("exec_command environment", () => {
  it("refuses LD_PRELOAD with allowed_commands set, and runs nothing", async (t) => {
    const host = await startHost({ config: { allowed_commands: ["touch"] } });
    try {
      const client = await host.client();
      const ran = path.join(host.allowed, "ran");
      const preloaded = path.join(host.allowed, "preloaded");
      const library = await buildPreloadLibrary(host.allowed, preloaded);
      await assert.rejects(
        client.call("exec_command", { command: "touch", args: [ran], env: { LD_PRELOAD: library ?? path.join(host.allowed, "planted.so") } }),
        refusedWith(ErrorCode.PermissionDenied, "LD_PRELOAD"),
      );
      assert.equal(await exists(ran), false, "the command ran");
      assert.equal(await exists(preloaded), false, "the preloaded library ran");
      // Last, after every assertion passed: node reports a test that fails after t.skip() as skipped.
      if (!library) t.skip("no C compiler (cc): the refusal was checked, but not against a library that would have run");
    } finally {
      await host.stop();
    }
  });

  describe("without allowed_commands", () => {
    let host: Host;
    let client: AgentClient;
    before(async () => {
      host = await startHost();
      client = await host.client();
    });
    after(() => host.stop());

    it("still refuses every name that makes programs load or run other code", async () => {
      const names = [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "LD_AUDIT",
        "ld_preload",
        "PATH",
        "BASH_ENV",
        "ENV",
        "BASH_FUNC_echo%%",
        "SHELLOPTS",
        "PS4",
        "IFS",
        "NODE_OPTIONS",
        "NODE_PATH",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PERL5OPT",
        "PERL5LIB",
        "RUBYOPT",
        "GCONV_PATH",
        "LOCPATH",
        "GLIBC_TUNABLES",
      ];
      for (const [i, name] of names.entries()) {
        const ran = path.join(host.allowed, `ran-${i}`);
        await assert.rejects(
          client.call("exec_command", { command: "touch", args: [ran], env: { [name]: "/tmp/x" } }),
          refusedWith(ErrorCode.PermissionDenied, name),
          name,
        );
        assert.equal(await exists(ran), false, `the command ran with ${name}`);
      }
      await assert.rejects(client.call("exec_command", { command: "true", env: { "PATH=/tmp": "x" } }), refusedWith(ErrorCode.InvalidParams, "PATH=/tmp"));
    });
  });

  it("passes allow-listed names through to the child, and only those", async () => {
    const host = await startHost({ config: { allowed_commands: ["env"] } });
    try {
      const client = await host.client();
      const env = { LANG: "C.UTF-8", LC_ALL: "C", TZ: "Europe/Berlin", TERM: "dumb", COLUMNS: "80" };
      const { stdout } = await client.call("exec_command", { command: "env", env });
      for (const [name, value] of Object.entries(env)) assert.match(stdout, new RegExp(`^${name}=${value}$`, "m"));
      await assert.rejects(client.call("exec_command", { command: "env", env: { GREETING: "hi" } }), refusedWith(ErrorCode.PermissionDenied, "GREETING"));
      await assert.rejects(client.call("exec_command", { command: "env", env: { HOME: host.allowed } }), refusedWith(ErrorCode.PermissionDenied, "HOME"));
      await assert.rejects(client.call("exec_command", { command: "env", env: { LC_ALL: host.allowed } }), refusedWith(ErrorCode.PermissionDenied, "LC_ALL"));
    } finally {
      await host.stop();
    }
  });

  it("takes the env allow-list from allowed_env", async () => {
    const host = await startHost({ config: { allowed_commands: ["env"], allowed_env: ["GREETING", "APP_*"] } });
    try {
      const client = await host.client();
      const { stdout } = await client.call("exec_command", { command: "env", env: { GREETING: "hi", APP_MODE: "fast" } });
      assert.match(stdout, /^GREETING=hi$/m);
      assert.match(stdout, /^APP_MODE=fast$/m);
      await assert.rejects(client.call("exec_command", { command: "env", env: { LANG: "C" } }), refusedWith(ErrorCode.PermissionDenied, "LANG"));
    } finally {
      await host.stop();
    }
  });
});

describe("exec_command cwd", () => {
  let host: Host;
  let client: AgentClient;
  let work: string;
  before(async () => {
    host = await startHost();
    client = await host.client();
    work = path.join(host.allowed, "work");
    await mkdir(work);
    await writeFile(path.join(host.allowed, "file"), "");
    await symlink(work, path.join(host.allowed, "to-work"));
    await symlink(host.dir, path.join(host.allowed, "to-outside"));
  });
  after(() => host.stop());

  const pwd = async (cwd: string) => (await client.call("exec_command", { command: "sh", args: ["-c", "pwd"], cwd })).stdout;

  it("runs the command in a directory inside allowed_paths, also through a symlink that stays inside", async () => {
    assert.equal(await pwd(work), `${work}\n`);
    assert.equal(await pwd(path.join(host.allowed, "to-work")), `${work}\n`);
  });

  it("refuses a cwd outside allowed_paths, also through a symlink, and one that is no directory", async () => {
    for (const cwd of [host.dir, "/", path.join(host.allowed, "to-outside"), `${host.allowed}/..`]) {
      await assert.rejects(pwd(cwd), refusedWith(ErrorCode.PathNotAllowed, cwd), cwd);
    }
    await assert.rejects(pwd(path.join(host.allowed, "file")), refusedWith(ErrorCode.NotFound, "file"));
    await assert.rejects(pwd(path.join(host.allowed, "missing")), refusedWith(ErrorCode.NotFound, "missing"));
  });
});

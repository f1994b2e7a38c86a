import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
// @ts-expect-error build.mjs is plain JavaScript without declarations.
import { bundledInputs, zodInputsRefused } from "../build.mjs";
import { builtAgent, startHost, waitFor } from "./harness";

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("the bundled agent takes zod/mini and its English messages only: no classic zod API, no other locale", async () => {
  const agent = await build({
    entryPoints: [path.join(agentDir, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    metafile: true,
    outfile: "agent.cjs",
    logLevel: "silent",
  });
  const zod = (bundledInputs(agent.metafile) as string[]).filter((input) => input.includes("node_modules/zod/"));
  assert.ok(
    zod.some((input) => input.includes("zod/v4/mini/")),
    "the schemas come from zod/mini",
  );
  assert.ok(
    zod.some((input) => input.endsWith("zod/v4/locales/en.js")),
    "with the English messages",
  );
  assert.deepEqual(zodInputsRefused(zod), []);
  // The build's guard itself: what it refuses.
  assert.deepEqual(zodInputsRefused(["node_modules/zod/v4/classic/schemas.js", "node_modules/zod/v4/locales/de.js", "node_modules/zod/v4/locales/en.js"]), [
    "node_modules/zod/v4/classic/schemas.js",
    "node_modules/zod/v4/locales/de.js",
  ]);
});

test("the shipped bundle is ASCII only, so V8 holds its source at one byte a character; what was not ASCII is there as an escape", async () => {
  const bundle = await readFile(await builtAgent(), "utf8");
  assert.equal(bundle.match(/[^ -~\t\n\r]/g), null);
  // systemctl's bullet for a failed unit, a literal ● in a regular expression of agent/src/platform/linux/services.ts.
  assert.match(bundle, /\(\?:\\u25cf\|\\\*\)/);
});

test("an idle agent has not loaded node:child_process, node:fs/promises or node:timers/promises; the first program it runs and the first file it reads load what they need", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "kvmm-modules-"));
  const listFile = path.join(dir, "modules.txt");
  const preload = path.join(dir, "list-modules.cjs");
  // Node's own record of the built-ins this process has loaded, written when the test asks.
  await writeFile(preload, `process.on("SIGUSR2", () => require("fs").writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join("\\n")));\n`);
  const host = await startHost({ nodeArgs: ["-r", preload] });
  const builtins = async () => {
    await rm(listFile, { force: true });
    host.agent.kill("SIGUSR2");
    const text = await waitFor("the agent's module list", () => readFile(listFile, "utf8").catch(() => undefined), 10_000);
    return new Set(
      text
        .split("\n")
        .filter((m) => m.startsWith("NativeModule "))
        .map((m) => m.slice("NativeModule ".length)),
    );
  };
  try {
    const client = await host.client();
    await client.call("get_system_info", {});
    const idle = await builtins();
    assert.ok(idle.has("net"), "the list is the agent's: it has the port's net module");
    assert.equal(idle.has("child_process"), false, "child_process loaded by an idle agent");
    assert.equal(idle.has("fs/promises"), false, "fs/promises loaded by an idle agent");
    assert.equal(idle.has("timers/promises"), false, "timers/promises loaded by an idle agent");
    assert.equal((await client.call("exec_command", { command: "true" })).exit_code, 0);
    assert.ok((await builtins()).has("child_process"));
    await writeFile(path.join(host.allowed, "read-me.txt"), "four");
    const read = await client.call("file_read", { path: path.join(host.allowed, "read-me.txt") });
    assert.equal(Buffer.from(read.content_base64, "base64").toString(), "four");
    assert.ok((await builtins()).has("fs/promises"), "a file read opens the file through fs/promises");
  } finally {
    await host.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

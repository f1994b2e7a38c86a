import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
// @ts-expect-error build.mjs is plain JavaScript without declarations.
import { leanZod } from "../build.mjs";
import { builtAgent } from "./harness";

const agentDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = path.resolve(agentDir, "..");
/** Names used after `z.` only as types: erased, so they need not exist at run time. */
const typeOnly = new Set(["infer", "input", "output"]);

test("every z.<name> the bundled agent's sources use exists in the bundle's lean zod namespace", async () => {
  const probe = await build({
    stdin: { contents: `import { z } from "zod"; module.exports = Object.keys(z);`, resolveDir: agentDir, loader: "js" },
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    plugins: [leanZod],
    logLevel: "silent",
  });
  const sandbox = { module: { exports: [] as string[] } };
  runInNewContext(probe.outputFiles[0]!.text, sandbox);
  const available = new Set(sandbox.module.exports);
  assert.ok(available.has("object") && !available.has("locales"), "the lean namespace has schemas and no locales");

  const agent = await build({
    entryPoints: [path.join(agentDir, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    metafile: true,
    outfile: "agent.cjs",
    plugins: [leanZod],
    logLevel: "silent",
  });
  const sources = Object.keys(agent.metafile.inputs).filter((input) => /^agent\/(src|protocol)\/.*\.ts$/.test(input));
  assert.ok(sources.length > 20, `the bundle's agent sources were found (${sources.length})`);
  const missing: string[] = [];
  for (const source of sources) {
    // Also `z\n  .record(...)`, as prettier breaks long chains.
    for (const match of (await readFile(path.join(repoRoot, source), "utf8")).matchAll(/\bz\s*\.\s*([A-Za-z_$][\w$]*)/g)) {
      const name = match[1]!;
      if (!available.has(name) && !typeOnly.has(name)) missing.push(`${source}: z.${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

test("the shipped bundle is ASCII only, so V8 holds its source at one byte a character; what was not ASCII is there as an escape", async () => {
  const bundle = await readFile(await builtAgent(), "utf8");
  assert.equal(bundle.match(/[^ -~\t\n\r]/g), null);
  // systemctl's bullet for a failed unit, a literal ● in a regular expression of agent/src/platform/linux/services.ts.
  assert.match(bundle, /\(\?:\\u25cf\|\\\*\)/);
});

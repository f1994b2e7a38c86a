import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
// @ts-expect-error build.mjs is plain JavaScript without declarations.
import { bundledInputs, zodInputsRefused } from "../build.mjs";
import { builtAgent } from "./harness";

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

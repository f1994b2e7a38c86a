// Bundles the agent into one CommonJS file that runs on Node >= 18 with no node_modules.
// Usage: node agent/build.mjs [--outfile PATH]
import { chmod } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: "string" } } });
const outfile = path.resolve(values.outfile ?? path.join(here, "dist", "kvmm-agent.cjs"));

const started = performance.now();
const result = await build({
  entryPoints: [path.join(here, "src", "main.ts")],
  outfile,
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  banner: { js: "#!/usr/bin/env node" },
  legalComments: "none",
  minifySyntax: true,
  metafile: true,
  logLevel: "warning",
});
await chmod(outfile, 0o755);
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
console.log(`built ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`);

// Bundles the agent into one CommonJS file that runs on Node >= 18 with no node_modules, and its
// launcher (src/launcher.ts, the service's ExecStart) into kvmm-launcher.cjs beside it.
// Usage: node agent/build.mjs [--outfile PATH] [--version X.Y.Z]
//   --version  builds the bundle as another release (AGENT_VERSION replaced): tests of self-update need a newer one.
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const versionFile = path.join(here, "src", "version.ts");
const sourceVersion = /AGENT_VERSION = "([^"]+)"/.exec(await readFile(versionFile, "utf8"))?.[1];
if (!sourceVersion) throw new Error("agent/src/version.ts: AGENT_VERSION not found");

/** --version: version.ts as if it said another release. */
function versionOverride(version) {
  return {
    name: "agent-version",
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, async (args) => ({
        contents: (await readFile(args.path, "utf8")).replace(`AGENT_VERSION = "${sourceVersion}"`, `AGENT_VERSION = ${JSON.stringify(version)}`),
        loader: "ts",
      }));
    },
  };
}

/**
 * The agent's schemas are zod/mini (agent/protocol/schemas/common.ts says why): an input of the classic
 * API or a locale other than English in the bundle means a source imported "zod" or "zod/locales"
 * and brought megabytes of idle RSS back, so the build refuses it.
 */
export function zodInputsRefused(inputs) {
  return inputs.filter((input) => /node_modules\/zod\/(?:v4\/classic|v3|v4\/locales\/(?!en\.js))/.test(input));
}

/** The inputs that put bytes into the output: zod/mini's index names every locale, which tree shaking then drops. */
export function bundledInputs(metafile) {
  const output = Object.values(metafile.outputs)[0];
  return Object.entries(output?.inputs ?? {})
    .filter(([, use]) => use.bytesInOutput > 0)
    .map(([input]) => input);
}

const common = {
  bundle: true,
  platform: "node",
  target: "node18",
  format: "cjs",
  legalComments: "none",
  minifySyntax: true,
  metafile: true,
  logLevel: "warning",
};

/**
 * V8 keeps a script's source in memory for as long as the script lives, as one byte per character only
 * when every character is ASCII: a single em dash in a comment doubles it to UTF-16 (the bundle's 440 KiB
 * held 879 KiB; measured −0.4 MiB idle RSS without them). esbuild escapes strings but copies the comments
 * it keeps and regular expression literals as they are, so what is left is written as \uXXXX, which means
 * the same character in a regular expression and in a template, and is plain text in a comment.
 */
async function asciiOnly(file) {
  const text = await readFile(file, "utf8");
  // Surrogate pairs too: each half becomes its own escape, which a template or a regular expression with the u flag reads back as one code point.
  await writeFile(
    file,
    text.replace(/[^ -~\t\n\r]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
}

/**
 * The bundle as the packages ship it, and the launcher beside it (no zod: it stays small);
 * agent/test/bundle.test.ts imports `zodInputsRefused` without building.
 */
export async function buildAgent(outfile, version = sourceVersion) {
  if (!/^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/.test(version)) throw new Error(`--version ${version}: must be a version such as 1.4.2`);
  const launcherOutfile = path.join(path.dirname(outfile), "kvmm-launcher.cjs");
  const started = performance.now();
  const [result] = await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(here, "src", "main.ts")],
      outfile,
      // The second line names the release: the launcher and the host read it without loading the bundle (protocol/update.ts).
      banner: { js: `#!/usr/bin/env node\n// kvmmanager-agent-version ${version}` },
      plugins: [versionOverride(version)],
    }),
    build({ ...common, entryPoints: [path.join(here, "src", "launcher.ts")], outfile: launcherOutfile, banner: { js: "#!/usr/bin/env node" } }),
  ]);
  const refused = zodInputsRefused(bundledInputs(result.metafile));
  if (refused.length > 0) throw new Error(`the agent bundle must use zod/mini with English messages only; it pulled in ${refused.join(", ")}`);
  await asciiOnly(outfile);
  await chmod(outfile, 0o755);
  await chmod(launcherOutfile, 0o755);
  const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
  console.log(`built ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { values } = parseArgs({ options: { outfile: { type: "string" }, version: { type: "string" } } });
  await buildAgent(path.resolve(values.outfile ?? path.join(here, "dist", "kvmm-agent.cjs")), values.version);
}

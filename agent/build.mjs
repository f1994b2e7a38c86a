// Bundles the agent into one CommonJS file that runs on Node >= 18 with no node_modules, and its
// launcher (src/launcher.ts, the service's ExecStart) into kvmm-launcher.cjs beside it.
// Usage: node agent/build.mjs [--outfile PATH] [--version X.Y.Z]
//   --version  builds the bundle as another release (AGENT_VERSION replaced): tests of self-update need a newer one.
import { chmod, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { outfile: { type: "string" }, version: { type: "string" } } });
const outfile = path.resolve(values.outfile ?? path.join(here, "dist", "kvmm-agent.cjs"));
const launcherOutfile = path.join(path.dirname(outfile), "kvmm-launcher.cjs");
const versionFile = path.join(here, "src", "version.ts");
const sourceVersion = /AGENT_VERSION = "([^"]+)"/.exec(await readFile(versionFile, "utf8"))?.[1];
if (!sourceVersion) throw new Error("agent/src/version.ts: AGENT_VERSION not found");
const version = values.version ?? sourceVersion;
if (!/^\d{1,6}\.\d{1,6}\.\d{1,6}(-[0-9A-Za-z.-]{1,40})?$/.test(version)) throw new Error(`--version ${version}: must be a version such as 1.4.2`);

/** --version: version.ts as if it said another release. */
const versionOverride = {
  name: "agent-version",
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]src[\\/]version\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, "utf8")).replace(`AGENT_VERSION = "${sourceVersion}"`, `AGENT_VERSION = ${JSON.stringify(version)}`),
      loader: "ts",
    }));
  },
};
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

const started = performance.now();
const [result] = await Promise.all([
  build({
    ...common,
    entryPoints: [path.join(here, "src", "main.ts")],
    outfile,
    // The second line names the release: the launcher and the host read it without loading the bundle (protocol/update.ts).
    banner: { js: `#!/usr/bin/env node\n// kvmmanager-agent-version ${version}` },
    plugins: [versionOverride],
  }),
  build({ ...common, entryPoints: [path.join(here, "src", "launcher.ts")], outfile: launcherOutfile, banner: { js: "#!/usr/bin/env node" } }),
]);
await chmod(outfile, 0o755);
await chmod(launcherOutfile, 0o755);
const bytes = Object.values(result.metafile.outputs)[0]?.bytes ?? 0;
console.log(`built ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`);

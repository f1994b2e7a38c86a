import { closeSync, existsSync, openSync, readSync, rmSync } from "node:fs";
import path from "node:path";
import { LAUNCHER_HOOK, launch, stateFileDeps } from "./update/launch";

/**
 * The service's ExecStart: `node kvmm-launcher.cjs [agent options]`. Runs the pushed bundle or the
 * packaged kvmm-agent.cjs beside it (update/launch.ts says how it picks, and how a trial ends) in
 * this process. Tiny on purpose: no zod, no protocol tables, only node:fs.
 *
 * KVMM_AGENT_STATE_DIR moves the state directory (default /var/lib/kvmmanager-agent, which the
 * systemd unit's StateDirectory= creates); the update key is update-key.pem beside this file.
 */
const here = __dirname;
const stateDir =
  process.env.KVMM_AGENT_STATE_DIR ??
  (process.platform === "win32" ? path.join(process.env.ProgramData ?? "C:\\ProgramData", "kvmmanager-agent") : "/var/lib/kvmmanager-agent");

function readHead(file: string): string {
  try {
    const fd = openSync(file, "r");
    try {
      const buffer = Buffer.alloc(256);
      return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString("utf8");
    } finally {
      closeSync(fd);
    }
  } catch {
    return "";
  }
}

launch({
  stateDir,
  packaged: path.join(here, "kvmm-agent.cjs"),
  keyPath: path.join(here, "update-key.pem"),
  now: () => new Date(),
  exists: existsSync,
  readHead,
  remove: (file) => rmSync(file, { force: true }),
  // The launcher's one job: load a bundle chosen at run time into this process. A computed path, so
  // esbuild leaves the require to node.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  load: (file) => require(file),
  ...stateFileDeps(stateDir),
  setTimer: (run, ms) => {
    const timer = setTimeout(run, ms);
    return { cancel: () => clearTimeout(timer) };
  },
  onExit: (listener) => process.on("exit", listener),
  exit: (code) => process.exit(code),
  warn: (line) => process.stderr.write(`${line}\n`),
  publish: (hook) => {
    (globalThis as Record<symbol, unknown>)[LAUNCHER_HOOK] = hook;
  },
});

import { childProcess } from "../child-process";
import { readFile } from "../fs-async";
import { systemMountView } from "../platform/linux/system-mounts";
import type { FreezeCommand } from "./freezer";

/** Where util-linux (and busybox) keep fsfreeze, even when the agent was started with a minimal PATH. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** FIFREEZE syncs the filesystem first; on a slow disk that takes a while, but a hung device must not hang the agent. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * util-linux `fsfreeze --freeze|--unfreeze <mount>` (FIFREEZE/FITHAW); busybox's applet takes the same
 * arguments. `mount` is the system's mount point, reached through the path the agent sees it by.
 */
export const fsfreezeCommand: FreezeCommand = (action, mount) =>
  new Promise((resolve) => {
    childProcess().execFile(
      "fsfreeze",
      [`--${action}`, systemMountView().path(mount)],
      { env: { ...process.env, PATH: SYSTEM_PATH, LC_ALL: "C" }, encoding: "utf8", timeout: COMMAND_TIMEOUT_MS, killSignal: "SIGKILL" },
      (error, _stdout, stderr) => {
        if (!error) return resolve(null);
        const reason = stderr.trim() || error.message;
        resolve((error as NodeJS.ErrnoException).code === "ENOENT" ? `fsfreeze is not installed (util-linux): ${reason}` : reason);
      },
    );
  });

/**
 * Thaws the given mounts (mount order) before the process exits after an unexpected failure, when
 * there is no event loop left to wait on: a guest must not stay frozen because its agent crashed.
 */
export function unfreezeNow(mounts: readonly string[]): string[] {
  const failed: string[] = [];
  for (const mount of mounts) {
    try {
      childProcess().execFileSync("fsfreeze", ["--unfreeze", systemMountView().path(mount)], {
        env: { ...process.env, PATH: SYSTEM_PATH, LC_ALL: "C" },
        timeout: COMMAND_TIMEOUT_MS,
        stdio: "ignore",
      });
    } catch {
      failed.push(mount);
    }
  }
  return failed;
}

/** The system's mounts (system-mounts.ts): the ones the agent's sandbox makes read-only are frozen too. */
export const readMountInfo = (): Promise<string> => readFile(systemMountView().mountinfo, "utf8");

// Helpers for integration tests that need the machine's real libvirtd.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const PID_FILE = "/run/libvirtd.pid";

/** Polls `check` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function libvirtdPid(): number | null {
  try {
    const pid = Number(readFileSync(PID_FILE, "utf8").trim());
    if (pid > 0 && isAlive(pid)) return pid;
  } catch {
    // no pid file: fall back to the process table
  }
  const found = spawnSync("pgrep", ["-x", "libvirtd"], { encoding: "utf8" }).stdout.trim().split("\n")[0];
  return found ? Number(found) : null;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERMs libvirtd and waits until the process is gone. */
export async function stopLibvirtd(timeoutMs = 60_000): Promise<void> {
  const pid = libvirtdPid();
  if (pid === null) return;
  process.kill(pid, "SIGTERM");
  await waitFor(`libvirtd (pid ${pid}) to exit`, () => !isAlive(pid), timeoutMs);
}

/** Starts virtlogd and libvirtd by hand when they are not running (there is no service manager here). */
export function startLibvirtd(): void {
  if (spawnSync("pgrep", ["-x", "virtlogd"]).status !== 0) execFileSync("virtlogd", ["-d"]);
  if (libvirtdPid() === null) execFileSync("libvirtd", ["-d"]);
}

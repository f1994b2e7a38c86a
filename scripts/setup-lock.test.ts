import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { waitFor } from "@/e2e/fixtures/wait";

const run = promisify(execFile);

/**
 * A second `npm run up` hung for ever: setup.sh started libvirtd while holding its lock on
 * descriptor 9, the daemon inherited it, and the lock was never released. This plays the same
 * sequence with a daemon of our own (`setsid -f sleep`, which forks away like `libvirtd -d`).
 */
test("setup's lock is free again once setup has started a daemon and exited", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kvmm-setup-lock-"));
  const lock = path.join(dir, ".setup.lock");
  const pidFile = path.join(dir, "daemon.pid");
  const script = `
    set -euo pipefail
    as_root() { "$@"; }
    . scripts/lib/start-daemon.sh
    exec 9>"${lock}"
    flock 9
    # A daemon detaches from the terminal: without these redirections the test would wait for it.
    start_daemon setsid -f sh -c 'echo $$ > "${pidFile}"; exec sleep 60' </dev/null >/dev/null 2>&1
  `;
  try {
    await run("bash", ["-c", script]);
    // setsid -f returns before its child runs: wait until the daemon is up (it writes its pid), so
    // that the lock is checked while the daemon holds whatever it inherited.
    await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "", { timeoutMs: 10_000, what: "the daemon to start" });
    // The daemon is still running; a second setup must get the lock at once.
    const second = await run("flock", ["--nonblock", lock, "true"]).then(
      () => "free",
      () => "held",
    );
    assert.equal(second, "free", "the daemon kept setup's lock: a second setup would wait for ever");
  } finally {
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : 0;
    if (pid > 0) process.kill(pid);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

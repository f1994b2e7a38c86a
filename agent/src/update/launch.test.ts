import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { decide, EXIT_RESTART, launch, stateFileDeps, type LaunchDeps, type LauncherHook } from "./launch";
import { readUpdateState, writeUpdateState, type UpdateState } from "./state";

const NOW = new Date("2026-11-28T07:00:00.000Z");
const TRIAL_MS = 30_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "kvmm-launch-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function bundle(name: string, version: string): { version: string; file: string } {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/usr/bin/env node\n// kvmmanager-agent-version ${version}\n`);
  return { version, file };
}

/** A launcher over a temp state dir with a hand-driven timer, a recorded load and exit, and exit listeners the test fires. */
function harness(options: { throwOnLoad?: Error } = {}) {
  const packaged = bundle("kvmm-agent.cjs", "0.1.0");
  const loaded: string[] = [];
  const exits: number[] = [];
  const exitListeners: Array<(code: number) => void> = [];
  const timers: Array<{ run: () => void; ms: number; cancelled: boolean }> = [];
  let hook: LauncherHook | undefined;
  const deps: LaunchDeps = {
    stateDir: dir,
    packaged: packaged.file,
    keyPath: path.join(dir, "update-key.pem"),
    now: () => NOW,
    exists: existsSync,
    readHead: (file) => (existsSync(file) ? readFileSync(file, "utf8").slice(0, 256) : ""),
    remove: (file) => rmSync(file, { force: true }),
    load: (file) => {
      loaded.push(file);
      if (options.throwOnLoad) throw options.throwOnLoad;
    },
    ...stateFileDeps(dir),
    setTimer: (run, ms) => {
      const timer = { run, ms, cancelled: false };
      timers.push(timer);
      return { cancel: () => (timer.cancelled = true) };
    },
    onExit: (listener) => exitListeners.push(listener),
    exit: (code) => exits.push(code),
    warn: () => undefined,
    publish: (published) => (hook = published),
    trialMs: TRIAL_MS,
  };
  return {
    packaged,
    loaded,
    exits,
    timers,
    run: () => launch(deps),
    fireExit: (code: number) => exitListeners.forEach((listener) => listener(code)),
    hook: () => hook,
  };
}

function pending(current: { version: string; file: string }, previous: { version: string; file: string } | null = null): UpdateState {
  return { state: "pending", current, previous, at: NOW.toISOString() };
}

describe("launcher: which bundle", () => {
  it("runs the packaged bundle when nothing was pushed, with no trial", () => {
    const h = harness();
    const hook = h.run();
    assert.deepEqual(h.loaded, [h.packaged.file]);
    assert.equal(h.timers.length, 0);
    assert.deepEqual(hook.status(), { state: "none", running_version: "0.1.0", packaged_version: "0.1.0" });
    assert.equal(hook.running, null);
  });

  it("starts a pending bundle on trial and records the trial before loading it", () => {
    const h = harness();
    const pushed = bundle("pushed.cjs", "0.2.0");
    writeUpdateState(dir, pending(pushed));
    const hook = h.run();
    assert.deepEqual(h.loaded, [pushed.file]);
    assert.equal(readUpdateState(dir)?.state, "trial");
    assert.equal(h.timers[0]?.ms, TRIAL_MS);
    assert.equal(hook.status().state, "trial");
    assert.deepEqual(hook.running, pushed);
  });

  it("a confirmed pushed bundle runs again at the next start, without a trial", () => {
    const pushed = bundle("pushed.cjs", "0.2.0");
    writeUpdateState(dir, { state: "confirmed", current: pushed, previous: null, at: NOW.toISOString() });
    const h = harness();
    h.run();
    assert.deepEqual(h.loaded, [pushed.file]);
    assert.equal(h.timers.length, 0);
  });

  it("a package upgrade newer than the pushed bundle wins, and the pushed one is removed", () => {
    const pushed = bundle("pushed.cjs", "0.0.9");
    writeUpdateState(dir, { state: "confirmed", current: pushed, previous: null, at: NOW.toISOString() });
    const h = harness();
    const hook = h.run();
    assert.deepEqual(h.loaded, [h.packaged.file]);
    assert.equal(readUpdateState(dir), null);
    assert.equal(existsSync(pushed.file), false);
    assert.equal(hook.status().state, "none");
  });

  it("decide: a confirmed bundle whose file vanished falls back to the packaged one", () => {
    const packaged = { version: "0.1.0", file: "/p/kvmm-agent.cjs" };
    const decision = decide(
      { state: "confirmed", current: { version: "0.2.0", file: "/s/x.cjs" }, previous: null, at: NOW.toISOString() },
      packaged,
      () => false,
      NOW,
    );
    assert.deepEqual(decision.run, packaged);
    assert.equal(decision.trial, false);
  });
});

describe("launcher: trial and rollback", () => {
  it("the bundle confirms (answered sync): the state is confirmed, the timer cancelled, the previous pushed bundle removed", () => {
    const previous = bundle("old.cjs", "0.2.0");
    const pushed = bundle("pushed.cjs", "0.3.0");
    writeUpdateState(dir, pending(pushed, previous));
    const h = harness();
    const hook = h.run();
    hook.confirm();
    assert.equal(readUpdateState(dir)?.state, "confirmed");
    assert.equal(h.timers[0]?.cancelled, true);
    assert.equal(existsSync(previous.file), false);
    h.fireExit(0);
    assert.equal(readUpdateState(dir)?.state, "confirmed", "an exit after confirming is no failure");
  });

  it("no sync within the trial: rolled back to the previous bundle with the reason, and the launcher exits to be restarted", () => {
    const previous = bundle("old.cjs", "0.2.0");
    const pushed = bundle("pushed.cjs", "0.3.0");
    writeUpdateState(dir, pending(pushed, previous));
    const h = harness();
    const hook = h.run();
    h.timers[0]?.run();
    const state = readUpdateState(dir);
    assert.equal(state?.state, "rolled_back");
    assert.deepEqual(state?.current, previous);
    assert.equal(state?.failed_version, "0.3.0");
    assert.equal(state?.reason, "no answer to the host's sync within 30 s");
    assert.deepEqual(h.exits, [EXIT_RESTART]);
    assert.equal(existsSync(pushed.file), false);
    assert.equal(hook.status().state, "rolled_back");
    // The next start runs the previous bundle, without a trial.
    const next = harness();
    next.run();
    assert.deepEqual(next.loaded, [previous.file]);
    assert.equal(next.timers.length, 0);
  });

  it("the bundle exits during its trial: rolled back to the packaged bundle, the exit code in the reason", () => {
    const pushed = bundle("pushed.cjs", "0.3.0");
    writeUpdateState(dir, pending(pushed));
    const h = harness();
    h.run();
    h.fireExit(3);
    const state = readUpdateState(dir);
    assert.equal(state?.state, "rolled_back");
    assert.equal(state?.current, null);
    assert.equal(state?.reason, "exited with code 3 before it answered the host's sync");
    const next = harness();
    const hook = next.run();
    assert.deepEqual(next.loaded, [next.packaged.file]);
    assert.deepEqual(hook.status(), {
      state: "rolled_back",
      running_version: "0.1.0",
      packaged_version: "0.1.0",
      failed_version: "0.3.0",
      reason: "exited with code 3 before it answered the host's sync",
      at: NOW.toISOString(),
    });
  });

  it("the bundle throws on load: rolled back with the error, and the launcher exits to be restarted", () => {
    const pushed = bundle("pushed.cjs", "0.3.0");
    writeUpdateState(dir, pending(pushed));
    const h = harness({ throwOnLoad: new SyntaxError("Unexpected token '}'") });
    h.run();
    assert.equal(readUpdateState(dir)?.reason, "failed to load: Unexpected token '}'");
    assert.deepEqual(h.exits, [EXIT_RESTART]);
  });

  it("a start that finds a trial still open (killed mid-trial, crash loop) rolls back", () => {
    const pushed = bundle("pushed.cjs", "0.3.0");
    writeUpdateState(dir, { ...pending(pushed), state: "trial" });
    const h = harness();
    h.run();
    assert.deepEqual(h.loaded, [h.packaged.file]);
    const state = readUpdateState(dir);
    assert.equal(state?.state, "rolled_back");
    assert.equal(state?.failed_version, "0.3.0");
    assert.match(state?.reason ?? "", /stopped before it answered the host's sync/);
  });

  it("the packaged bundle failing to load is not swallowed: there is nothing to go back to", () => {
    const h = harness({ throwOnLoad: new Error("boom") });
    assert.throws(() => h.run(), /boom/);
  });
});

import { bundleVersion, compareVersions, UPDATE_TRIAL_MS } from "../../protocol/update";
import { rmSync } from "node:fs";
import path from "node:path";
import { readUpdateState, STATE_FILE, writeUpdateState, type BundleRef, type UpdateState } from "./state";

/**
 * The launcher's logic (agent/src/launcher.ts is its entry): which bundle to run, and the trial of a
 * freshly pushed one. The launcher is the service's ExecStart and is never replaced by a
 * self-update, so a broken bundle can always be undone: it loads the chosen bundle into its own
 * process (no second node: its memory counts toward the idle footprint) and, while the bundle is
 * on trial, goes back to the previous one when it throws on load, exits, or has not answered the
 * host's `sync` within UPDATE_TRIAL_MS. Every step is written to the state file first (state.ts),
 * so a crash loop or a kill in the middle of a trial also ends in the rollback.
 */

/** Exit code after a self-update or a rollback: not 0, so systemd's Restart=on-failure starts the launcher again. */
export const EXIT_RESTART = 75;

/** What get_agent_info reports as `update` (agent/protocol/schemas/update.ts agentUpdateStatus). */
export interface LauncherStatus {
  state: "none" | "trial" | "confirmed" | "rolled_back";
  running_version: string;
  packaged_version: string;
  failed_version?: string;
  reason?: string;
  at?: string;
}

/** What the launcher hands the bundle it loads (globalThis[LAUNCHER_HOOK]); the agent uses it in update/hook.ts. */
export interface LauncherHook {
  stateDir: string;
  keyPath: string;
  /** The bundle running now: the one to go back to if the next update fails. null: the packaged one. */
  running: BundleRef | null;
  status(): LauncherStatus;
  /** The agent answered the host's sync: a bundle on trial is kept. */
  confirm(): void;
}

export const LAUNCHER_HOOK = Symbol.for("kvmmanager-agent.launcher");

export interface Decision {
  run: BundleRef;
  /** The bundle is pushed, starts now for the first time and must answer a sync within UPDATE_TRIAL_MS. */
  trial: boolean;
  /** The state to write before loading; "clear" removes it; null leaves it as it is. */
  write: UpdateState | "clear" | null;
}

/** Picks the bundle to run from the state file; pure, so every case is a unit test. */
export function decide(state: UpdateState | null, packaged: BundleRef, exists: (file: string) => boolean, now: Date): Decision {
  const at = now.toISOString();
  if (!state) return { run: packaged, trial: false, write: null };
  const rollback = (reason: string): Decision => {
    const back = state.previous && exists(state.previous.file) ? state.previous : null;
    return {
      run: back ?? packaged,
      trial: false,
      write: { state: "rolled_back", current: back, previous: null, failed_version: state.current?.version ?? packaged.version, reason, at },
    };
  };
  if (state.state === "pending") {
    if (!state.current || !exists(state.current.file)) return rollback("its file was missing when the launcher started it");
    return { run: state.current, trial: true, write: { ...state, state: "trial", at } };
  }
  if (state.state === "trial") return rollback("the agent stopped before it answered the host's sync (killed, or the guest restarted)");
  if (!state.current) return { run: packaged, trial: false, write: null };
  if (!exists(state.current.file)) return { run: packaged, trial: false, write: { ...state, current: null, at } };
  // A package upgrade brought a newer release than the one pushed: the package wins.
  if (compareVersions(packaged.version, state.current.version) > 0) return { run: packaged, trial: false, write: "clear" };
  return { run: state.current, trial: false, write: null };
}

export interface LaunchDeps {
  stateDir: string;
  /** The packaged bundle (beside the launcher), the last resort. */
  packaged: string;
  keyPath: string;
  now(): Date;
  exists(file: string): boolean;
  /** The first bytes of a file, as text (for the bundle's version line). */
  readHead(file: string): string;
  remove(file: string): void;
  /** Runs a bundle in this process (require). */
  load(file: string): void;
  /** The state file (state.ts); injected so tests can watch every write. */
  readState(): UpdateState | null;
  writeState(state: UpdateState | "clear"): void;
  setTimer(run: () => void, ms: number): { cancel(): void };
  onExit(listener: (code: number) => void): void;
  exit(code: number): void;
  warn(line: string): void;
  /** Where the hook goes (globalThis in the real launcher). */
  publish(hook: LauncherHook): void;
  trialMs?: number;
}

export function stateFileDeps(stateDir: string): Pick<LaunchDeps, "readState" | "writeState"> {
  return {
    readState: () => readUpdateState(stateDir),
    writeState: (state) => (state === "clear" ? rmSync(path.join(stateDir, STATE_FILE), { force: true }) : writeUpdateState(stateDir, state)),
  };
}

/** Chooses, records and loads the bundle; returns the hook it published. */
export function launch(deps: LaunchDeps): LauncherHook {
  const packaged: BundleRef = { version: bundleVersion(deps.readHead(deps.packaged)) ?? "0.0.0", file: deps.packaged };
  const previousState = deps.readState();
  const decision = decide(previousState, packaged, deps.exists, deps.now());
  if (decision.write) deps.writeState(decision.write);
  let state: UpdateState | null = decision.write === "clear" ? null : (decision.write ?? previousState);
  if (decision.write === "clear" && previousState?.current) deps.remove(previousState.current.file);
  if (decision.write && decision.write !== "clear" && decision.write.state === "rolled_back") {
    deps.warn(`kvmmanager-agent launcher: rolled back from ${decision.write.failed_version}: ${decision.write.reason}`);
    if (previousState?.current && previousState.current.file !== decision.run.file) deps.remove(previousState.current.file);
  }

  let onTrial = decision.trial;
  let timer: { cancel(): void } | undefined;
  const trialMs = deps.trialMs ?? UPDATE_TRIAL_MS;
  /** The bundle on trial failed: record the rollback; the service manager starts the launcher again, which runs the previous one. */
  const fail = (reason: string): void => {
    if (!onTrial || !state) return;
    onTrial = false;
    timer?.cancel();
    const back = state.previous && deps.exists(state.previous.file) ? state.previous : null;
    state = { state: "rolled_back", current: back, previous: null, failed_version: decision.run.version, reason, at: deps.now().toISOString() };
    deps.writeState(state);
    deps.remove(decision.run.file);
    deps.warn(`kvmmanager-agent launcher: ${decision.run.version} failed its trial (${reason}); the previous bundle runs at the next start`);
  };

  const hook: LauncherHook = {
    stateDir: deps.stateDir,
    keyPath: deps.keyPath,
    running: decision.run.file === deps.packaged ? null : decision.run,
    status: () => ({
      state: !state ? "none" : state.state === "pending" ? "trial" : state.state,
      running_version: decision.run.version,
      packaged_version: packaged.version,
      ...(state?.failed_version ? { failed_version: state.failed_version } : {}),
      ...(state?.reason ? { reason: state.reason } : {}),
      ...(state ? { at: state.at } : {}),
    }),
    confirm: () => {
      if (!onTrial || !state) return;
      onTrial = false;
      timer?.cancel();
      const old = state.previous;
      state = { state: "confirmed", current: state.current, previous: null, at: deps.now().toISOString() };
      deps.writeState(state);
      if (old && old.file !== decision.run.file) deps.remove(old.file);
    },
  };
  deps.publish(hook);

  if (onTrial) {
    deps.onExit((code) => fail(`exited with code ${code} before it answered the host's sync`));
    timer = deps.setTimer(() => {
      fail(`no answer to the host's sync within ${Math.round(trialMs / 1000)} s`);
      deps.exit(EXIT_RESTART);
    }, trialMs);
  }
  try {
    deps.load(decision.run.file);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!onTrial) throw error;
    fail(`failed to load: ${message.slice(0, 500)}`);
    deps.exit(EXIT_RESTART);
  }
  return hook;
}

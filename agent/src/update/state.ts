import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * The self-update state file (`update-state.json` in the agent's state directory), shared by the
 * launcher (agent/src/launcher.ts) and the agent that installs a bundle (upload.ts). It outlives
 * restarts, so a bundle that crashes the process in a loop still ends in a rollback. No zod here:
 * the launcher imports this, and its memory counts toward the agent's idle footprint.
 *
 * pending: committed, not started yet; trial: started, has not answered the host's sync yet;
 * confirmed: answered; rolled_back: the bundle named in failed_version failed and `current` runs.
 */
export type UpdatePhase = "pending" | "trial" | "confirmed" | "rolled_back";

/** A pushed bundle: its release and its file in the state directory. */
export interface BundleRef {
  version: string;
  file: string;
}

export interface UpdateState {
  state: UpdatePhase;
  /** The bundle the launcher runs; null: the packaged one. */
  current: BundleRef | null;
  /** pending/trial: the bundle to go back to (null: the packaged one). */
  previous: BundleRef | null;
  failed_version?: string;
  reason?: string;
  at: string;
}

export const STATE_FILE = "update-state.json";
/** Pushed bundles live here; upload.ts writes the partial upload beside them. */
export const BUNDLES_DIR = "bundles";

const phases: ReadonlySet<string> = new Set(["pending", "trial", "confirmed", "rolled_back"]);

function bundleRef(value: unknown): BundleRef | null | undefined {
  if (value === null) return null;
  if (typeof value !== "object" || value === undefined) return undefined;
  const { version, file } = value as Record<string, unknown>;
  return typeof version === "string" && typeof file === "string" && path.isAbsolute(file) ? { version, file } : undefined;
}

/** The state on disk; null when there is none or it cannot be read as one (then the packaged bundle runs). */
export function readUpdateState(stateDir: string): UpdateState | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path.join(stateDir, STATE_FILE), "utf8"));
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const record = raw as Record<string, unknown>;
  const current = bundleRef(record.current);
  const previous = bundleRef(record.previous);
  if (typeof record.state !== "string" || !phases.has(record.state) || current === undefined || previous === undefined) return null;
  return {
    state: record.state as UpdatePhase,
    current,
    previous,
    ...(typeof record.failed_version === "string" ? { failed_version: record.failed_version } : {}),
    ...(typeof record.reason === "string" ? { reason: record.reason } : {}),
    at: typeof record.at === "string" ? record.at : new Date(0).toISOString(),
  };
}

/**
 * Replaces the state file in one rename, so a crash or power loss leaves the old state or the new
 * one, never half of either. Synchronous: the launcher writes it from its exit handler.
 */
export function writeUpdateState(stateDir: string, state: UpdateState): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const target = path.join(stateDir, STATE_FILE);
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(temporary, target);
}

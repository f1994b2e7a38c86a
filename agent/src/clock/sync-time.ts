import { ErrorCode, RpcError } from "../../protocol/errors";
import type { CommandRunner } from "../account/run";

export interface ClockDeps {
  run: CommandRunner;
  /** The guest's wall clock (Date.now). */
  now(): number;
  /** A clock that setting the wall clock does not move (performance.now). */
  monotonic(): number;
}

/**
 * Sets the guest clock to the host's `timeMs`, advanced by the time spent here before `date` runs,
 * and answers the correction (host − guest when the request arrived). GNU date takes fractional
 * seconds; busybox's only whole ones, so there the clock lands within half a second.
 */
export async function syncTime(timeMs: number, deps: ClockDeps): Promise<{ offset_ms: number; method: "date" }> {
  const arrived = deps.monotonic();
  const offset = timeMs - deps.now();
  const target = () => timeMs + (deps.monotonic() - arrived);
  let outcome = await deps.run("date", ["-u", "-s", `@${(target() / 1000).toFixed(3)}`]);
  if (outcome.code !== 0 && outcome.errno === undefined && /invalid date/i.test(outcome.stderr)) {
    outcome = await deps.run("date", ["-u", "-s", `@${Math.round(target() / 1000)}`]);
  }
  if (outcome.errno === "ENOENT") throw new RpcError(ErrorCode.Unsupported, "sync_time: date is not installed in the guest");
  if (outcome.code !== 0) {
    const said = outcome.stderr.trim().slice(0, 1000);
    const denied = /not permitted|permission/i.test(said);
    throw new RpcError(denied ? ErrorCode.PermissionDenied : ErrorCode.IoError, `sync_time: date -s failed (exit ${outcome.code ?? "killed"}): ${said}`);
  }
  return { offset_ms: offset, method: "date" };
}

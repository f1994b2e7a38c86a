// fs_freeze / fs_thaw / fs_freeze_status: one freeze at a time, thawed by the host, by a timer
// when the host never comes back, or when the agent stops.
import { ErrorCode, RpcError } from "../../protocol/errors";
import { clip, LIST_MAX, TEXT_MAX } from "../../protocol/bounds";
import type { MethodResult } from "../../protocol/methods";
import { FREEZE_TIMEOUT_S } from "../../protocol/schemas/freeze";
import type { Logger } from "../log";
import { mountsToFreeze, parseMountInfo } from "./mounts";

/** Runs `fsfreeze --freeze|--unfreeze <mount>`; resolves with null on success, else with what went wrong. */
export type FreezeCommand = (action: "freeze" | "unfreeze", mount: string) => Promise<string | null>;

export interface FreezeClock {
  now(): Date;
  setTimer(action: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export interface FreezerDeps {
  readMountInfo(): Promise<string>;
  run: FreezeCommand;
  clock: FreezeClock;
  /**
   * Held while frozen: a log file on a frozen filesystem would block the agent's next write, and
   * with it the thaw (the classic guest-agent deadlock); records are kept and written after the thaw.
   */
  log: Logger;
}

export const systemClock: FreezeClock = {
  now: () => new Date(),
  setTimer: (action, ms) => setTimeout(action, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

interface Frozen {
  mounts: string[];
  frozenAt: Date;
  thawAt: Date;
  timer: unknown;
}

type Failure = { mount: string; error: string };

export class Freezer {
  private frozen: Frozen | null = null;
  /** A freeze or thaw is running: the commands take time, and a second request must not interleave. */
  private busy = false;
  private autoThawedAt: Date | null = null;

  constructor(private readonly deps: FreezerDeps) {}

  async freeze(timeoutS: number = FREEZE_TIMEOUT_S.default): Promise<MethodResult<"fs_freeze">> {
    if (this.frozen) {
      throw new RpcError(
        ErrorCode.Conflict,
        `fs_freeze: ${this.frozen.mounts.join(", ")} already frozen since ${this.frozen.frozenAt.toISOString()} (thawed automatically at ${this.frozen.thawAt.toISOString()}); send fs_thaw first`,
      );
    }
    if (this.busy) throw new RpcError(ErrorCode.Conflict, "fs_freeze: a freeze or thaw is already in progress");
    this.busy = true;
    try {
      const mounts = mountsToFreeze(parseMountInfo(await this.deps.readMountInfo())).slice(0, LIST_MAX.freezeMounts);
      this.autoThawedAt = null;
      const frozenAt = this.deps.clock.now();
      if (mounts.length === 0) return { frozen: [], frozen_at: frozenAt.toISOString(), auto_thaw_at: null };
      this.deps.log.hold();
      const done: string[] = [];
      // Reverse mount order: a filesystem mounted inside another is frozen before its parent.
      for (const mount of [...mounts].reverse()) {
        const error = await this.deps.run("freeze", mount);
        if (error === null) {
          done.push(mount);
          continue;
        }
        const { thawed, failed } = await this.thawMounts([...done].reverse());
        this.deps.log.release();
        this.deps.log.warn("fs_freeze failed; thawed what was frozen", { mount, error, thawed });
        throw new RpcError(ErrorCode.IoError, `fs_freeze: ${mount}: ${clip(error, TEXT_MAX.text - mount.length - 12)}`, {
          failed: [{ mount, error: clip(error, TEXT_MAX.text) }, ...failed],
          thawed_again: thawed,
        });
      }
      const thawAt = new Date(frozenAt.getTime() + timeoutS * 1000);
      const timer = this.deps.clock.setTimer(() => void this.autoThaw(), timeoutS * 1000);
      this.frozen = { mounts: done, frozenAt, thawAt, timer };
      return { frozen: done, frozen_at: frozenAt.toISOString(), auto_thaw_at: thawAt.toISOString() };
    } finally {
      this.busy = false;
    }
  }

  /** Idempotent: with nothing frozen it thaws nothing. */
  async thaw(): Promise<MethodResult<"fs_thaw">> {
    const autoThawedAt = this.autoThawedAt?.toISOString() ?? null;
    const frozen = this.frozen;
    if (!frozen) return { thawed: [], failed: [], auto_thawed_at: autoThawedAt };
    this.frozen = null;
    this.deps.clock.clearTimer(frozen.timer);
    const result = await this.thawMounts([...frozen.mounts].reverse());
    this.deps.log.release();
    if (result.failed.length) this.deps.log.warn("fs_thaw: some mounts did not thaw", { failed: result.failed });
    return { ...result, auto_thawed_at: autoThawedAt };
  }

  status(): MethodResult<"fs_freeze_status"> {
    const frozen = this.frozen;
    return {
      frozen: frozen !== null,
      mounts: frozen?.mounts ?? [],
      frozen_at: frozen?.frozenAt.toISOString() ?? null,
      auto_thaw_at: frozen?.thawAt.toISOString() ?? null,
      auto_thawed_at: this.autoThawedAt?.toISOString() ?? null,
    };
  }

  private async autoThaw(): Promise<void> {
    if (!this.frozen) return;
    this.autoThawedAt = this.deps.clock.now();
    const { thawed } = await this.thaw();
    this.deps.log.warn("no fs_thaw before the freeze timeout; thawed automatically", { thawed });
  }

  /** Thaws in the order given (mount order); a failure does not stop the rest. */
  private async thawMounts(mounts: string[]): Promise<{ thawed: string[]; failed: Failure[] }> {
    const thawed: string[] = [];
    const failed: Failure[] = [];
    for (const mount of mounts) {
      const error = await this.deps.run("unfreeze", mount);
      if (error === null) thawed.push(mount);
      else failed.push({ mount, error: clip(error, TEXT_MAX.text) });
    }
    return { thawed, failed };
  }
}

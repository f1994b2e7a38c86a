import type { Db } from "../db/client";
import { processSingleton } from "../process-shared";
import { writeAudit } from "./log";

/**
 * Refusals of clients that have not signed in are summed per client address and minute into one
 * audit row, without their input. One row each let a single request batching 500 calls add 500
 * rows (~1 MB) in 0.3 s to a table that can never be cleaned; now a flood costs one row a minute
 * per address (and at most MAX_WINDOWS rows a minute in all).
 */
export const SIGNED_OUT_ACTION = "refused.signedOut";
const WINDOW_MS = 60_000;
/** Addresses tracked at once; more than that (a spread-out flood) share one catch-all row. */
const MAX_WINDOWS = 1000;
const MAX_REASONS = 20;
const OTHER_ADDRESSES = "(other addresses)";

interface Window {
  db: Db;
  clientIp: string;
  start: number;
  count: number;
  /** What was refused and how often: `vms.power` ×3, `sign-in (rate limited)` ×2. */
  reasons: Map<string, number>;
}

export class SignedOutRefusals {
  private readonly windows = new Map<string, Window>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly clock: () => number = Date.now) {}

  note(db: Db, clientIp: string, reason: string): void {
    const start = Math.floor(this.clock() / WINDOW_MS) * WINDOW_MS;
    const address = this.windows.has(`${clientIp} ${start}`) || this.windows.size < MAX_WINDOWS ? clientIp : OTHER_ADDRESSES;
    const key = `${address} ${start}`;
    let window = this.windows.get(key);
    if (!window) {
      window = { db, clientIp: address, start, count: 0, reasons: new Map() };
      this.windows.set(key, window);
    }
    window.count += 1;
    const label = window.reasons.has(reason) || window.reasons.size < MAX_REASONS ? reason : "other";
    window.reasons.set(label, (window.reasons.get(label) ?? 0) + 1);
    this.schedule();
  }

  /** Writes the windows that have ended, or all of them (at shutdown, and in tests). */
  flush({ all = false } = {}): void {
    const now = this.clock();
    for (const [key, w] of this.windows) {
      if (!all && w.start + WINDOW_MS > now) continue;
      this.windows.delete(key);
      const reasons = [...w.reasons].map(([reason, n]) => (n > 1 ? `${reason} ×${n}` : reason)).join(", ");
      writeAudit(w.db, {
        userId: null,
        username: null,
        action: SIGNED_OUT_ACTION,
        target: null,
        result: "denied",
        error: `not signed in: ${reasons}`,
        clientIp: w.clientIp,
        count: w.count,
      });
    }
    if (this.windows.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    const now = this.clock();
    const untilNextMinute = WINDOW_MS - (now % WINDOW_MS) + 50;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
      if (this.windows.size > 0) this.schedule();
    }, untilNextMinute);
    this.timer.unref();
  }
}

/** The process's one aggregator (route handlers and server/main.ts load separate module copies). */
export function signedOutRefusals(): SignedOutRefusals {
  return processSingleton("signedOutRefusals", () => new SignedOutRefusals());
}

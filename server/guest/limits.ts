// Per-VM limits on what a guest can make the host do. A guest is an untrusted peer (DESIGN §5a):
// whatever it sends beyond these is dropped, never queued, so a flood costs the host the time
// to read it and nothing more.

/** Lets one event through per `intervalMs`; the ones in between are refused, not delayed. */
export class RateGate {
  private last = Number.NEGATIVE_INFINITY;
  /** Refused since the gate was made. */
  refused = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  admit(): boolean {
    const at = this.now();
    if (at - this.last < this.intervalMs) {
      this.refused += 1;
      return false;
    }
    this.last = at;
    return true;
  }
}

/**
 * Counts what a guest sent that the host dropped, and logs it without letting the guest fill
 * the log: the first drop at once, then one line per `windowMs` at most, with the count since
 * the previous line (written when a drop arrives after the window; the total is in the status).
 */
export class DropLog {
  /** Dropped since the log was made. */
  total = 0;
  private unreported = 0;
  private lastLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly context: string,
    private readonly windowMs: number,
    private readonly write: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  drop(error: Error): void {
    this.total += 1;
    this.unreported += 1;
    const at = this.now();
    if (at - this.lastLoggedAt < this.windowMs) return;
    const count = this.unreported === 1 ? "dropped a message" : `dropped ${this.unreported} messages (since the last report)`;
    this.write(`${this.context}: guest agent: ${count}; the latest: ${error.message}`);
    this.unreported = 0;
    this.lastLoggedAt = at;
  }
}

import type { EngineClock } from "../engine";

interface Timer {
  at: number;
  seq: number;
  run: () => void;
}

/**
 * A clock that moves only when told: timers due on the way run in order, each with the clock at
 * its own time, and the promises they start are let run between timers. Schedule tests move
 * through minutes of fires in milliseconds with it.
 */
export class FakeClock implements EngineClock {
  private timers: Timer[] = [];
  private seq = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, run };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** How many timers are waiting (a stopped engine leaves none). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock forward by `ms`, running each timer that comes due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.t = due.at;
      due.run();
    }
    this.t = target;
    await settle();
  }

  /** Sets the clock to a later time without running the timers between (the manager was stopped meanwhile). */
  jumpTo(at: number): void {
    this.t = at;
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

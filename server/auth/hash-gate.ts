/**
 * A password check that could not start now: the caller answers "busy, try again" without hashing.
 * Returned, not thrown: the gate is one per process while route bundles each have their own copy of
 * this module, so `instanceof` on an error class from another copy would fail.
 */
export interface HashGateBusy {
  busy: string;
}

export interface HashGateLimits {
  /** Hashes running at once, whoever asks (each Argon2id hash holds 64 MiB and a thread-pool thread). */
  concurrent: number;
  /** Hashes running or waiting for one client address. */
  perClient: number;
  /** Hashes waiting for a free slot, all clients together. */
  queued: number;
}

/**
 * Caps the password hashing that unauthenticated clients can start. Without it, a burst of sign-ins
 * fills libuv's thread pool (which file reads and DNS lookups also need) and memory; with it, a
 * burst waits in a short queue and the rest is refused at once.
 */
export class HashGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly perClient = new Map<string, number>();

  constructor(private readonly limits: HashGateLimits) {}

  async run<T>(client: string, work: () => Promise<T>): Promise<{ value: T } | HashGateBusy> {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) return { busy: `${client} already has ${mine} sign-in checks under way` };
    if (this.running >= this.limits.concurrent && this.waiting.length >= this.limits.queued) {
      return { busy: "too many sign-in checks under way" };
    }
    this.perClient.set(client, mine + 1);
    try {
      await this.acquire();
      try {
        return { value: await work() };
      } finally {
        this.release();
      }
    } finally {
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.limits.concurrent) {
      this.running += 1;
      return;
    }
    // The slot is handed over by release(), so a newcomer can never slip in between.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }

  /** For tests and the benchmark: hashes running and waiting now. */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}

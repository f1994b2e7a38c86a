/** Exponential back-off with ±20 % jitter, so that many VMs retrying after a host hiccup spread out. */
export class Backoff {
  private current: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
  ) {
    this.current = min;
  }

  next(): number {
    const base = this.current;
    this.current = Math.min(this.current * 2, this.max);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.current = this.min;
  }
}

/**
 * A sleep that can be cut short: `wake()` resolves it at once. Its timer does not keep the process alive
 * (as the libvirt keepalive's does not): the hub's retry, probe and idle-ping loops run as long as a VM is
 * watched, and a test or script that never stops its hub must still exit once its own work is done.
 */
export class Sleeper {
  private pending: { timer: NodeJS.Timeout; resolve: () => void } | null = null;

  sleep(ms: number): Promise<void> {
    this.wake();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending = null;
        resolve();
      }, ms).unref();
      this.pending = { timer, resolve };
    });
  }

  wake(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    clearTimeout(pending.timer);
    pending.resolve();
  }
}

// Client side of libvirt's keepalive (virkeepalive.c semantics): after
// `intervalMs` without any traffic from the peer we send a PING; when
// `count` pings in a row go unanswered, the peer is declared dead. Any
// received packet counts as an answer, not just a PONG.
//
// Dead takes count + 1 intervals (30 s at libvirt's 5 s × 5): long enough that a
// busy host is not dropped, far too long to show a hung one as fine. So the
// first ping left unanswered for a whole interval is reported at once as
// silence, and the first packet after it as the end of the silence.

export interface KeepaliveActions {
  ping: () => void;
  dead: () => void;
  /** A ping went unanswered for a whole interval (true); the peer spoke again after that (false). */
  silence?: (silent: boolean) => void;
}

export class Keepalive {
  private lastTraffic: number;
  private unanswered = 0;
  /** When the oldest unanswered ping went out. */
  private firstPingAt = 0;
  private silent = false;
  private stopped = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    private readonly count: number,
    private readonly actions: KeepaliveActions,
    private readonly now: () => number = Date.now,
  ) {
    this.lastTraffic = now();
    // A heartbeat must not keep the process alive on its own.
    this.timer = setInterval(() => this.tick(), intervalMs).unref();
  }

  traffic(): void {
    this.lastTraffic = this.now();
    this.unanswered = 0;
    if (this.silent && !this.stopped) {
      this.silent = false;
      this.actions.silence?.(false);
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One heartbeat; public so tests can drive it without waiting. */
  tick(): void {
    if (this.stopped || this.now() - this.lastTraffic < this.intervalMs) return;
    if (this.unanswered > 0 && !this.silent && this.now() - this.firstPingAt >= this.intervalMs) {
      this.silent = true;
      this.actions.silence?.(true);
    }
    if (this.unanswered >= this.count) {
      this.stop();
      this.actions.dead();
      return;
    }
    if (this.unanswered === 0) this.firstPingAt = this.now();
    this.unanswered++;
    this.actions.ping();
  }
}

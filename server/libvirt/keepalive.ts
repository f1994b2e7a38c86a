// Client side of libvirt's keepalive (virkeepalive.c semantics): after
// `intervalMs` without any traffic from the peer we send a PING; when
// `count` pings in a row go unanswered, the peer is declared dead. Any
// received packet counts as an answer, not just a PONG.

export interface KeepaliveActions {
  ping: () => void;
  dead: () => void;
}

export class Keepalive {
  private lastTraffic: number;
  private unanswered = 0;
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
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One heartbeat; public so tests can drive it without waiting. */
  tick(): void {
    if (this.stopped || this.now() - this.lastTraffic < this.intervalMs) return;
    if (this.unanswered >= this.count) {
      this.stop();
      this.actions.dead();
      return;
    }
    this.unanswered++;
    this.actions.ping();
  }
}

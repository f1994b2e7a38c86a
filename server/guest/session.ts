// One VM's connection to our guest agent over its org.kvmmanager.agent.0 channel.
//
// The host end of a virtio-serial channel stays open across everything that happens in the
// guest: the agent dying and restarting, the guest rebooting. So the session keeps the channel
// open while the VM runs and watches what comes through it:
//   open the channel → (agent.ready seen, or the live XML says the guest holds the port)
//   → sync → get_agent_info → connected → (agent.ready again: the agent restarted) → sync …
// When nobody answers, the session waits for the agent's `agent.ready` (the agent sends it as
// soon as it opens its port, and whenever a host connects) and probes with a sync on a slow,
// growing interval as a safety net. The channel is re-opened when it closes (QEMU went away,
// libvirt dropped the stream) with back-off, and at once after a guest reset so that nothing
// queued for the old guest reaches the new one.
//
// The guest is an untrusted peer: the client refuses what fails the protocol's bounds and
// schemas, and the session counts and logs those drops (limits.ts, rate-limited), passes on at
// most one telemetry notification per second and starts at most one handshake per second, so
// that a guest cannot turn a flood of lines into a flood of events for every open browser.
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { AgentClient, LineDecoder, type AgentInfo, type MethodName, type MethodParams, type MethodResult, type Telemetry } from "@/agent/protocol";
import { Backoff, Sleeper } from "./backoff";
import { GuestError, errorText } from "./errors";
import { DropLog, RateGate } from "./limits";

export type AgentState = "disconnected" | "connecting" | "connected";
export type ChannelTransport = "socket" | "stream";

export interface AgentStatus {
  state: AgentState;
  /** When `state` last changed (ISO 8601). */
  since: string;
  /** How the channel is reached while open. */
  transport: ChannelTransport | null;
  /** What the agent said about itself at the last handshake (kept while disconnected, for display). */
  info: AgentInfo | null;
  /** The last `telemetry` notification and when it arrived. */
  telemetry: Telemetry | null;
  telemetryAt: string | null;
  /** Why the session is not connected, when it is not. */
  lastError: string | null;
  /** Completed handshakes since the hub began watching the VM: a reconnect increments it. */
  handshakes: number;
  /** Messages from the agent dropped as invalid (see AgentClient's `protocol-error`). */
  dropped: number;
  /** Telemetry notifications dropped because they came sooner than `telemetryIntervalMs` after the last one. */
  telemetryDropped: number;
}

export interface ChannelEndpoint {
  stream: Duplex;
  transport: ChannelTransport;
}

export interface SessionTuning {
  /** Default per-call timeout. */
  callTimeoutMs: number;
  /** One handshake attempt (sync + get_agent_info). */
  syncTimeoutMs: number;
  /** Re-opening a channel that closed or failed to open. */
  reopenDelayMs: { min: number; max: number };
  /** Probing a channel on which no agent has answered yet (besides waiting for its agent.ready). */
  probeDelayMs: { min: number; max: number };
  /** At most one telemetry notification per this span is passed on; the rest are dropped. */
  telemetryIntervalMs: number;
  /** Handshakes on one channel start at least this far apart (an agent.ready flood re-syncs once). */
  handshakeGapMs: number;
  /** At most one log line about dropped messages per this span. */
  dropLogIntervalMs: number;
  /** A connected agent this long silent (no telemetry, no answer) is pinged to learn whether it is still there. */
  idlePingMs: number;
  /** How long that ping may take before the agent counts as gone. */
  idlePingTimeoutMs: number;
}

export const DEFAULT_TUNING: SessionTuning = {
  callTimeoutMs: 30_000,
  syncTimeoutMs: 5_000,
  reopenDelayMs: { min: 500, max: 30_000 },
  probeDelayMs: { min: 5_000, max: 60_000 },
  telemetryIntervalMs: 1_000,
  handshakeGapMs: 1_000,
  dropLogIntervalMs: 60_000,
  idlePingMs: 30_000,
  idlePingTimeoutMs: 10_000,
};

export interface AgentSessionOptions {
  /** `VM "web-1" on host "local"`: the prefix of this session's messages. */
  context: string;
  /** Opens the host end of the channel. */
  open: () => Promise<ChannelEndpoint>;
  /** Whether the guest holds its end of the port (live XML `state`), so a sync can go out at once. */
  guestConnected: () => boolean;
  tuning?: Partial<SessionTuning>;
  /** The clock of the rate limits (tests step it). */
  now?: () => number;
  /** Where drop reports go (default console.warn). */
  log?: (line: string) => void;
}

export interface AgentCallOptions {
  /** Default: the session's callTimeoutMs. */
  timeoutMs?: number;
  /** While a handshake is under way, wait this long for it before failing (default 5 s). */
  waitMs?: number;
}

export interface AgentSessionEvents {
  status: [status: AgentStatus];
  telemetry: [metrics: Telemetry, at: string];
}

/** Longest line the raw watcher looks at: `agent.ready` is small, file chunks are not. */
const READY_LINE_MAX = 64 * 1024;

/** The status of a VM whose agent has not been reached (yet). */
export function disconnectedStatus(): AgentStatus {
  return {
    state: "disconnected",
    since: new Date().toISOString(),
    transport: null,
    info: null,
    telemetry: null,
    telemetryAt: null,
    lastError: null,
    handshakes: 0,
    dropped: 0,
    telemetryDropped: 0,
  };
}

export class AgentSession extends EventEmitter<AgentSessionEvents> {
  private readonly tuning: SessionTuning;
  private current: AgentStatus = disconnectedStatus();
  private readonly clock: () => number;
  private readonly telemetryGate: RateGate;
  private readonly drops: DropLog;
  private stopped = false;
  private running: Promise<void> | null = null;
  private readonly sleeper = new Sleeper();
  private link: ChannelLink | null = null;

  constructor(private readonly options: AgentSessionOptions) {
    super();
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.setMaxListeners(0);
    this.clock = options.now ?? Date.now;
    this.telemetryGate = new RateGate(this.tuning.telemetryIntervalMs, this.clock);
    this.drops = new DropLog(options.context, this.tuning.dropLogIntervalMs, options.log ?? ((line) => console.warn(line)), this.clock);
  }

  get context(): string {
    return this.options.context;
  }

  /** The counters are read here rather than kept in `current`: a drop must not emit a status event. */
  status(): AgentStatus {
    return { ...this.current, dropped: this.drops.total, telemetryDropped: this.telemetryGate.refused };
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.run().catch((err: unknown) => {
      console.error(`${this.options.context}: guest agent session failed:`, err);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.running ?? undefined;
    this.stopped = true;
    this.sleeper.wake();
    this.link?.close("the hub stopped watching this VM");
    await this.running;
    this.update({ state: "disconnected", transport: null });
  }

  /** The guest was reset (libvirt's reboot event): re-open the channel so nothing queued for the old guest reaches the new one. */
  guestReset(): void {
    this.link?.close("the guest rebooted", { reopenAtOnce: true });
  }

  /** Something suggests the channel may work now (VM started or resumed, ports changed): try at once. */
  nudge(): void {
    this.sleeper.wake();
    this.link?.probeNow();
  }

  async call<M extends MethodName>(method: M, params?: MethodParams<M>, options: AgentCallOptions = {}): Promise<MethodResult<M>> {
    if (this.stopped) throw new GuestError("stopped", "the guest hub stopped watching this VM");
    let link = this.link;
    if (!link?.ready && this.current.state === "connecting" && (options.waitMs ?? 5_000) > 0) {
      await this.waitConnected(options.waitMs ?? 5_000).catch(() => undefined);
      link = this.link;
    }
    if (!link?.ready) {
      const why = this.current.lastError ? ` (${this.current.lastError})` : "";
      throw new GuestError("not_connected", `the guest agent is not connected${why}`);
    }
    return link.client.call(method, params, { timeoutMs: options.timeoutMs ?? this.tuning.callTimeoutMs });
  }

  /** Resolves once the session is connected; rejects after `timeoutMs`. */
  waitConnected(timeoutMs: number): Promise<void> {
    if (this.link?.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onStatus = () => {
        if (!this.link?.ready) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new GuestError("not_connected", `the guest agent did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off("status", onStatus);
      };
      this.on("status", onStatus);
    });
  }

  // ---- internals, called by the link ----

  /** @internal */
  update(patch: Partial<AgentStatus>): void {
    const next = { ...this.current, ...patch };
    if (patch.state && patch.state !== this.current.state) next.since = new Date().toISOString();
    const changed = (Object.keys(patch) as (keyof AgentStatus)[]).some((key) => patch[key] !== this.current[key]);
    this.current = next;
    if (changed) this.emit("status", this.status());
  }

  /** @internal Asked by the client before it checks a telemetry notification. */
  admitTelemetry(): boolean {
    return this.telemetryGate.admit();
  }

  /** @internal */
  onDropped(error: Error): void {
    this.drops.drop(error);
  }

  /** @internal The clock of the rate limits, for the handshake gap. */
  now(): number {
    return this.clock();
  }

  /** @internal */
  onTelemetry(metrics: Telemetry): void {
    const at = new Date().toISOString();
    this.current = { ...this.current, telemetry: metrics, telemetryAt: at };
    this.emit("telemetry", metrics, at);
  }

  private async run(): Promise<void> {
    const reopen = new Backoff(this.tuning.reopenDelayMs.min, this.tuning.reopenDelayMs.max);
    while (!this.stopped) {
      this.update({ state: "connecting" });
      let endpoint: ChannelEndpoint;
      try {
        endpoint = await this.options.open();
      } catch (err) {
        this.update({ state: "disconnected", transport: null, lastError: `cannot open the agent channel: ${errorText(err)}` });
        await this.sleeper.sleep(reopen.next());
        continue;
      }
      if (this.stopped) {
        endpoint.stream.destroy();
        break;
      }
      const link = new ChannelLink(this, endpoint, this.tuning);
      this.link = link;
      this.update({ transport: endpoint.transport });
      const outcome = await link.run(this.options.guestConnected());
      this.link = null;
      if (this.stopped) break;
      this.update({ state: "disconnected", transport: null, lastError: outcome.reason });
      if (outcome.handshakes > 0 || outcome.reopenAtOnce) reopen.reset();
      if (!outcome.reopenAtOnce) await this.sleeper.sleep(reopen.next());
    }
  }
}

interface LinkOutcome {
  reason: string;
  handshakes: number;
  reopenAtOnce: boolean;
}

/** One open channel: its AgentClient, the handshakes on it, and the watch for the agent announcing itself. */
class ChannelLink {
  readonly client: AgentClient;
  ready = false;
  private closedReason: string | null = null;
  private reopenAtOnce = false;
  private handshakes = 0;
  private triggered = false;
  private readonly sleeper = new Sleeper();
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private lost: (() => void) | null = null;
  private rawDecoder: LineDecoder | null = null;
  private lastHandshakeAt = Number.NEGATIVE_INFINITY;
  /** When the agent last sent anything (Date.now()). */
  private lastHeardAt = Date.now();

  constructor(
    private readonly session: AgentSession,
    private readonly endpoint: ChannelEndpoint,
    private readonly tuning: SessionTuning,
  ) {
    this.closedPromise = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    const { stream } = endpoint;
    this.client = new AgentClient(stream, { timeoutMs: tuning.callTimeoutMs, admitTelemetry: () => session.admitTelemetry() });
    this.client.on("telemetry", (metrics) => session.onTelemetry(metrics));
    this.client.on("protocol-error", (error) => session.onDropped(error));
    this.client.on("agent.ready", () => {
      // After the handshake this means the agent restarted (the client already failed the calls in flight).
      this.trigger();
      if (this.ready) {
        this.ready = false;
        this.lost?.();
      }
    });
    this.client.on("close", () => this.close("the agent channel closed"));
    stream.on("data", () => {
      this.lastHeardAt = Date.now();
    });
    stream.on("error", (err) => this.close(`the agent channel failed: ${err.message}`));
  }

  probeNow(): void {
    this.trigger();
  }

  close(reason: string, { reopenAtOnce = false } = {}): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    this.reopenAtOnce = reopenAtOnce;
    this.ready = false;
    this.detachRawWatch();
    this.client.close();
    this.endpoint.stream.destroy();
    this.sleeper.wake();
    this.lost?.();
    this.resolveClosed();
  }

  /** Runs handshakes until the channel closes. */
  async run(syncAtOnce: boolean): Promise<LinkOutcome> {
    const probe = new Backoff(this.tuning.probeDelayMs.min, this.tuning.probeDelayMs.max);
    let now = syncAtOnce;
    while (this.closedReason === null) {
      if (!now) {
        this.attachRawWatch();
        await this.waitForTrigger(probe.next());
        this.detachRawWatch();
        if (this.closedReason !== null) break;
      }
      await this.keepHandshakeGap();
      if (this.closedReason !== null) break;
      this.triggered = false;
      this.session.update({ state: "connecting" });
      this.lastHandshakeAt = this.session.now();
      try {
        await this.client.sync({ timeoutMs: this.tuning.syncTimeoutMs, retryMs: Math.ceil(this.tuning.syncTimeoutMs / 2) });
        const info = await this.client.call("get_agent_info", {}, { timeoutMs: this.tuning.syncTimeoutMs });
        if (this.closedReason !== null) break;
        this.handshakes += 1;
        probe.reset();
        const gone = new Promise<void>((resolve) => {
          this.lost = resolve;
        });
        this.ready = true;
        this.session.update({
          state: "connected",
          info,
          lastError: null,
          handshakes: this.session.status().handshakes + 1,
        });
        const ended = await this.whileConnected(gone);
        this.lost = null;
        if (this.closedReason !== null) break;
        if (ended === "silent") {
          this.ready = false;
          const seconds = this.tuning.idlePingTimeoutMs / 1000;
          this.session.update({ state: "disconnected", lastError: `the agent stopped answering: no reply to a ping within ${seconds} s` });
          now = false;
          continue;
        }
        this.session.update({ state: "connecting", lastError: "the agent restarted" });
        now = true;
      } catch (err) {
        if (this.closedReason !== null) break;
        this.session.update({ state: "disconnected", lastError: `no agent answered on the channel: ${errorText(err)}` });
        // An agent.ready that arrived during the failed attempt means: try again now.
        now = this.triggered;
      }
    }
    return { reason: this.closedReason ?? "the agent channel closed", handshakes: this.handshakes, reopenAtOnce: this.reopenAtOnce };
  }

  /**
   * Waits while the agent stays connected. Nothing tells the host when an agent stops without a
   * restart (removed from the guest, killed, hung): the host end of the channel stays open, and
   * libvirt reports the guest closing a port only for qemu-ga's channel. So an agent silent for
   * `idlePingMs` is pinged; one that does not answer is "silent". "lost": the channel closed or
   * the agent announced a restart.
   */
  private async whileConnected(gone: Promise<void>): Promise<"lost" | "silent"> {
    let lost = false;
    void gone.then(() => {
      lost = true;
      this.sleeper.wake();
    });
    while (!lost && this.closedReason === null) {
      const quietMs = Date.now() - this.lastHeardAt;
      if (quietMs < this.tuning.idlePingMs) {
        await this.sleeper.sleep(this.tuning.idlePingMs - quietMs);
        continue;
      }
      try {
        await this.client.call("ping", {}, { timeoutMs: this.tuning.idlePingTimeoutMs });
      } catch {
        if (!lost && this.closedReason === null) return "silent";
      }
    }
    return "lost";
  }

  private trigger(): void {
    this.triggered = true;
    this.sleeper.wake();
  }

  /** Waits until `handshakeGapMs` has passed since the last handshake began (or the channel closes). */
  private async keepHandshakeGap(): Promise<void> {
    for (;;) {
      const left = this.lastHandshakeAt + this.tuning.handshakeGapMs - this.session.now();
      if (left <= 0 || this.closedReason !== null) return;
      await this.sleeper.sleep(left);
    }
  }

  private async waitForTrigger(ms: number): Promise<void> {
    if (this.triggered) return;
    await this.sleeper.sleep(ms);
  }

  /**
   * While no handshake runs the client ignores everything, so the link itself looks for the
   * agent's `agent.ready` (sent when it opens its port or sees a host connect).
   */
  private attachRawWatch(): void {
    if (this.rawDecoder) return;
    this.rawDecoder = new LineDecoder(READY_LINE_MAX);
    this.endpoint.stream.on("data", this.onRawData);
  }

  private detachRawWatch(): void {
    if (!this.rawDecoder) return;
    this.endpoint.stream.off("data", this.onRawData);
    this.rawDecoder = null;
  }

  private readonly onRawData = (chunk: Buffer): void => {
    const decoder = this.rawDecoder;
    if (!decoder) return;
    for (const item of decoder.push(chunk)) {
      if (item.kind !== "line" || !item.line.includes("agent.ready")) continue;
      try {
        const message = JSON.parse(item.line.toString("utf8")) as { method?: unknown; id?: unknown };
        if (message.method === "agent.ready" && message.id === undefined) this.trigger();
      } catch {
        // stale or partial bytes from an earlier connection
      }
    }
  };
}

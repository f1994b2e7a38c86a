// A long-lived connection to one libvirtd: every libvirt procedure as a
// method (from generated/procedures.ts), automatic reconnection, keepalive
// and events (domains, networks, storage pools) that survive reconnection.
//
// Reconnection: when the transport drops, calls in flight fail with
// LibvirtConnectionError('disconnected') (they may or may not have run, so
// they are not retried) and the connection is re-opened with exponential
// back-off, re-registering the event callbacks. Calls made while it is down
// wait up to `callWaitMs` for it to come back, then fail with
// LibvirtConnectionError('unavailable') without having been sent.
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { LibvirtConnectionError } from "./errors";
import {
  ALL_DOMAIN_EVENT_KINDS,
  ALL_NETWORK_EVENT_KINDS,
  ALL_STORAGE_POOL_EVENT_KINDS,
  DOMAIN_EVENTS,
  EVENT_FAMILIES,
  NETWORK_EVENTS,
  STORAGE_POOL_EVENTS,
  type DomainEventListener,
  type EventFamily,
  type LibvirtEvent,
  type NetworkEventListener,
  type StoragePoolEventListener,
} from "./event-families";
import { EventIterator } from "./event-iterator";
import { VIR_CONNECT_RO } from "./generated/constants";
import type { DomainEvent, DomainEventKind, NetworkEvent, NetworkEventKind, StoragePoolEvent, StoragePoolEventKind } from "./generated/events";
import { LibvirtProcedures, type ProcedureCall } from "./generated/procedures";
import { REMOTE_AUTH_NONE, REMOTE_AUTH_POLKIT, REMOTE_PROGRAM } from "./generated/protocol";
import type { Packet } from "./packet";
import { RpcClient } from "./rpc-client";
import type { LibvirtStream } from "./stream";
import { openTransport, processTransportEnv } from "./transport";
import { planTransport, type TransportEnv } from "./transport-plan";
import { parseLibvirtUri, type LibvirtUri } from "./uri";
import { XdrReader } from "./xdr";

export interface ConnectionOptions {
  /** Open read-only (VIR_CONNECT_RO; the -ro socket for local URIs). Default false. */
  readOnly?: boolean;
  /** Ping libvirtd after this long without traffic; 0 disables. Default 5000 ms. */
  keepaliveIntervalMs?: number;
  /** Unanswered pings before the connection is declared dead. Default 5. */
  keepaliveCount?: number;
  /** Re-open the connection when it drops. Default true. */
  reconnect?: boolean;
  /** Back-off between reconnection attempts, doubling from min to max. Default 100 ms → 5 s. */
  reconnectDelayMs?: { min: number; max: number };
  /** How long a call made while disconnected waits for the connection. Default 15 s. */
  callWaitMs?: number;
  /** Limit for one connection attempt (transport, authentication, CONNECT_OPEN, event registration). Default 30 s. */
  connectTimeoutMs?: number;
  /** Where sockets and TLS credentials are looked up; the process's environment by default. */
  transportEnv?: TransportEnv;
}

export type ConnectionState = "idle" | "connecting" | "open" | "closed";

/**
 * Calls a TLS session keeps in flight (see RpcClientOptions.maxCallsInFlight). Measured against
 * libvirt 9.0 (e2e/integration/hosts.itest.ts, TLS host): with 4 or 5 a VM list stalled 5 s, with 2
 * it passed, with 1 always; 1 costs a round trip per call, which on a LAN is well under a millisecond.
 */
const TLS_CALLS_IN_FLIGHT = 1;

/** VIR_DRV_FEATURE_PROGRAM_KEEPALIVE, from libvirt's internal src/driver.h. */
const FEATURE_PROGRAM_KEEPALIVE = 10;
const CLOSE_GRACE_MS = 1000;

type EventKind = LibvirtEvent["kind"];

interface Subscription {
  family: EventFamily<LibvirtEvent>;
  kinds: ReadonlySet<EventKind>;
  listener: (event: LibvirtEvent) => void;
}

/** What libvirtd registers one callback for: one event kind of one family (network lifecycle…). */
interface EventRegistration {
  /** `network:lifecycle` */
  key: string;
  family: EventFamily<LibvirtEvent>;
  kind: EventKind;
}

function registrationOf(family: EventFamily<LibvirtEvent>, kind: EventKind): EventRegistration {
  return { key: `${family.name}:${kind}`, family, kind };
}

/** The procedures bound to one session, for the handshake and event registration. */
class SessionProcedures extends LibvirtProcedures<LibvirtStream> {
  constructor(private readonly rpc: RpcClient) {
    super();
  }

  protected override call<A, R>(call: ProcedureCall<A, R>): Promise<R> {
    return this.rpc.call(call);
  }

  protected override callStream<A, R>(call: ProcedureCall<A, R>): Promise<{ ret: R; stream: LibvirtStream }> {
    return this.rpc.callStream(call);
  }
}

/** One transport connection's worth of state; a reconnection makes a new Session. */
class Session {
  readonly rpc: RpcClient;
  readonly api: SessionProcedures;
  /** callbackID of each event registration (by key) made on this session. */
  readonly callbacks = new Map<string, number>();
  readonly registering = new Map<string, Promise<void>>();

  constructor(
    transport: Duplex,
    uri: string,
    handlers: { onMessage: (session: Session, packet: Packet) => void; onClose: (session: Session, err: Error | null) => void },
    maxCallsInFlight?: number,
  ) {
    this.rpc = new RpcClient(transport, {
      uri,
      maxCallsInFlight,
      onMessage: (packet) => handlers.onMessage(this, packet),
      onClose: (err) => handlers.onClose(this, err),
    });
    this.api = new SessionProcedures(this.rpc);
  }
}

/** What a host whose libvirtd stopped answering shows (Connection.unansweredSince). */
export function unansweredMessage(since: Date): string {
  return `libvirtd has not answered since ${since.toISOString().slice(11, 19)} UTC (a keepalive ping went unanswered)`;
}

export class Connection extends LibvirtProcedures<LibvirtStream> {
  readonly uri: string;
  private readonly parsed: LibvirtUri;
  private readonly options: Required<ConnectionOptions>;
  private readonly emitter = new EventEmitter();
  private currentState: ConnectionState = "idle";
  private session: Session | null = null;
  private connecting: Promise<void> | null = null;
  private wakeBackoff: (() => void) | null = null;
  private lastError: Error | null = null;
  /** Since when the open session's peer has left a keepalive ping unanswered for a whole interval. */
  private silentSince: Date | null = null;
  private readonly subscriptions = new Set<Subscription>();
  /** The event registrations some subscription wants, with how many do. */
  private readonly registrations = new Map<string, { registration: EventRegistration; refs: number }>();

  /** Creates the connection without opening it; the first call (or open()) does. */
  constructor(uri: string, options: ConnectionOptions = {}) {
    super();
    this.uri = uri;
    this.parsed = parseLibvirtUri(uri);
    this.options = {
      readOnly: options.readOnly ?? false,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5000,
      keepaliveCount: options.keepaliveCount ?? 5,
      reconnect: options.reconnect ?? true,
      reconnectDelayMs: options.reconnectDelayMs ?? { min: 100, max: 5000 },
      callWaitMs: options.callWaitMs ?? 15_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
      transportEnv: options.transportEnv ?? processTransportEnv(),
    };
    this.emitter.setMaxListeners(0);
  }

  /** Opens a connection; rejects if the first attempt fails (no retry). */
  static async open(uri: string, options?: ConnectionOptions): Promise<Connection> {
    const conn = new Connection(uri, options);
    try {
      await conn.startConnecting(false);
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** Why the last connection attempt failed or the connection dropped. */
  get error(): Error | null {
    return this.lastError;
  }

  /**
   * Since when the open connection's peer has not answered (a keepalive ping unanswered for a whole
   * interval: a hung libvirtd or a cut link, noticed long before the keepalive gives up), or null.
   */
  get unansweredSince(): Date | null {
    return this.silentSince;
  }

  /** Calls `listener` when the peer stops answering (the time since when) and when it answers again (null). */
  onSilenceChange(listener: (since: Date | null) => void): () => void {
    this.emitter.on("silence", listener);
    return () => this.emitter.off("silence", listener);
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  onStateChange(listener: (state: ConnectionState, error: Error | null) => void): () => void {
    this.emitter.on("state", listener);
    return () => this.emitter.off("state", listener);
  }

  /** Resolves once the connection is open, waiting at most `callWaitMs`. */
  async ready(): Promise<void> {
    await this.whenOpen("ready");
  }

  /**
   * Delivers domain events of the given kinds (default: all) to `listener`,
   * across reconnections. Resolves once libvirtd has the callbacks registered.
   * Returns the function that unsubscribes.
   */
  subscribeDomainEvents(listener: DomainEventListener, kinds: readonly DomainEventKind[] = ALL_DOMAIN_EVENT_KINDS): Promise<() => Promise<void>> {
    return this.subscribe(DOMAIN_EVENTS, listener, kinds, "subscribeDomainEvents");
  }

  /** As subscribeDomainEvents, for network events (`lifecycle`: defined, undefined, started, stopped). */
  subscribeNetworkEvents(listener: NetworkEventListener, kinds: readonly NetworkEventKind[] = ALL_NETWORK_EVENT_KINDS): Promise<() => Promise<void>> {
    return this.subscribe(NETWORK_EVENTS, listener, kinds, "subscribeNetworkEvents");
  }

  /** As subscribeDomainEvents, for storage pool events (`lifecycle`, and `refresh` after a pool's volumes were rescanned). */
  subscribeStoragePoolEvents(
    listener: StoragePoolEventListener,
    kinds: readonly StoragePoolEventKind[] = ALL_STORAGE_POOL_EVENT_KINDS,
  ): Promise<() => Promise<void>> {
    return this.subscribe(STORAGE_POOL_EVENTS, listener, kinds, "subscribeStoragePoolEvents");
  }

  /** Domain events as an async iterator; `break` out of the loop (or call return()) to unsubscribe. */
  domainEvents(kinds: readonly DomainEventKind[] = ALL_DOMAIN_EVENT_KINDS): Promise<AsyncIterableIterator<DomainEvent>> {
    return this.iterate(DOMAIN_EVENTS, kinds, "domainEvents");
  }

  /** Network events as an async iterator, as domainEvents. */
  networkEvents(kinds: readonly NetworkEventKind[] = ALL_NETWORK_EVENT_KINDS): Promise<AsyncIterableIterator<NetworkEvent>> {
    return this.iterate(NETWORK_EVENTS, kinds, "networkEvents");
  }

  /** Storage pool events as an async iterator, as domainEvents. */
  storagePoolEvents(kinds: readonly StoragePoolEventKind[] = ALL_STORAGE_POOL_EVENT_KINDS): Promise<AsyncIterableIterator<StoragePoolEvent>> {
    return this.iterate(STORAGE_POOL_EVENTS, kinds, "storagePoolEvents");
  }

  /** Closes the connection for good: pending and waiting calls fail with kind 'closed'. */
  async close(): Promise<void> {
    if (this.currentState === "closed") return;
    this.setState("closed", null);
    this.wakeBackoff?.();
    this.emitter.emit("closed");
    const session = this.session;
    this.session = null;
    if (!session) return;
    // Tell libvirtd, so it frees the connection now rather than when it notices the socket is gone.
    await Promise.race([session.api.connectClose().catch(() => {}), delay(CLOSE_GRACE_MS)]);
    session.rpc.close();
  }

  protected override call<A, R>(call: ProcedureCall<A, R>): Promise<R> {
    const session = this.session;
    if (session && this.currentState === "open") return session.rpc.call(call);
    return this.whenOpen(call.name).then((s) => s.rpc.call(call));
  }

  protected override callStream<A, R>(call: ProcedureCall<A, R>): Promise<{ ret: R; stream: LibvirtStream }> {
    return this.whenOpen(call.name).then((s) => s.rpc.callStream(call));
  }

  // ---- connecting ----

  private whenOpen(what: string): Promise<Session> {
    if (this.session && this.currentState === "open") return Promise.resolve(this.session);
    if (this.currentState === "closed") return Promise.reject(this.closedError(what));
    if (this.currentState === "idle") void this.startConnecting(true).catch(() => {});
    return new Promise<Session>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.emitter.off("open", onOpen);
        this.emitter.off("closed", onClosed);
        this.emitter.off("gave-up", onGaveUp);
      };
      const onOpen = (session: Session) => {
        cleanup();
        resolve(session);
      };
      const onClosed = () => {
        cleanup();
        reject(this.closedError(what));
      };
      const onGaveUp = () => {
        cleanup();
        reject(this.unavailableError(what));
      };
      const timer = setTimeout(onGaveUp, this.options.callWaitMs);
      this.emitter.on("open", onOpen);
      this.emitter.on("closed", onClosed);
      this.emitter.on("gave-up", onGaveUp);
    });
  }

  /** Connects, retrying with back-off when `retry` is set; one loop at a time. */
  private startConnecting(retry: boolean): Promise<void> {
    this.connecting ??= this.connectLoop(retry).finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connectLoop(retry: boolean): Promise<void> {
    let wait = this.options.reconnectDelayMs.min;
    for (;;) {
      if (this.currentState === "closed") throw this.closedError("connect");
      this.setState("connecting", this.lastError);
      try {
        await this.establish();
        return;
      } catch (err) {
        this.lastError = err as Error;
        if (!retry || !this.options.reconnect) {
          this.setState("idle", this.lastError);
          this.emitter.emit("gave-up");
          throw err;
        }
      }
      await this.backoff(wait);
      wait = Math.min(wait * 2, this.options.reconnectDelayMs.max);
    }
  }

  /** Waits `ms`, or less when close() wakes it. */
  private backoff(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(wake, ms);
      function wake() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeBackoff = wake;
    }).finally(() => {
      this.wakeBackoff = null;
    });
  }

  private async establish(): Promise<void> {
    const plan = planTransport(this.parsed, this.options.transportEnv, { readOnly: this.options.readOnly });
    const transport = await openTransport(plan, this.uri);
    const session = new Session(
      transport,
      this.uri,
      {
        onMessage: (s, packet) => this.onMessage(s, packet),
        onClose: (s, err) => this.onSessionClosed(s, err),
      },
      plan.kind === "tls" ? TLS_CALLS_IN_FLIGHT : undefined,
    );
    // A peer that accepts the socket but never answers would otherwise hold the attempt forever.
    const timer = setTimeout(
      () => transport.destroy(new LibvirtConnectionError("connect", `${this.uri}: no answer within ${this.options.connectTimeoutMs} ms`)),
      this.options.connectTimeoutMs,
    );
    try {
      await this.handshake(session);
      await Promise.all([...this.registrations.values()].map(({ registration }) => this.register(session, registration)));
    } catch (err) {
      session.rpc.close();
      // Losing the transport before the handshake completed is a failure to connect (ssh refused, wrong socket…).
      if (err instanceof LibvirtConnectionError && err.kind === "disconnected") {
        const reason = err.cause instanceof Error ? err.cause.message : err.message;
        throw new LibvirtConnectionError("connect", `${this.uri}: connection lost during the handshake: ${reason}`, { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (this.currentState === "closed") {
      session.rpc.close();
      throw this.closedError("connect");
    }
    this.session = session;
    this.lastError = null;
    this.setState("open", null);
    this.emitter.emit("open", session);
  }

  private async handshake({ api, rpc }: Session): Promise<void> {
    const types = await api.authList();
    if (types.length > 0 && !types.includes(REMOTE_AUTH_NONE)) {
      if (!types.includes(REMOTE_AUTH_POLKIT)) {
        throw new LibvirtConnectionError(
          "connect",
          `${this.uri}: libvirtd asks for authentication types ${types.join(", ")}; only none and polkit are supported`,
        );
      }
      await api.authPolkit();
    }
    await api.connectOpen({ name: this.parsed.remoteName, flags: this.options.readOnly ? VIR_CONNECT_RO : 0 });
    if (this.options.keepaliveIntervalMs > 0 && (await api.connectSupportsFeature({ feature: FEATURE_PROGRAM_KEEPALIVE })) === 1) {
      rpc.startKeepalive(this.options.keepaliveIntervalMs, this.options.keepaliveCount, (silent) => this.onSilence(rpc, silent));
    }
  }

  private onSilence(rpc: RpcClient, silent: boolean): void {
    if (this.session?.rpc !== rpc || silent === (this.silentSince !== null)) return;
    this.silentSince = silent ? new Date() : null;
    this.emitter.emit("silence", this.silentSince);
  }

  private onSessionClosed(session: Session, err: Error | null): void {
    if (this.session !== session) return; // a session that never finished its handshake
    this.session = null;
    // The state change that follows says what became of the peer; a new session starts answering.
    this.silentSince = null;
    if (this.currentState === "closed") return;
    this.lastError = err;
    if (!this.options.reconnect) {
      this.setState("idle", err);
      return;
    }
    void this.startConnecting(true).catch(() => {});
  }

  private setState(state: ConnectionState, error: Error | null): void {
    if (this.currentState === state) return;
    this.currentState = state;
    this.emitter.emit("state", state, error);
  }

  // ---- events ----

  private async subscribe<E extends LibvirtEvent>(
    family: EventFamily<E>,
    listener: (event: E) => void,
    kinds: readonly E["kind"][],
    what: string,
  ): Promise<() => Promise<void>> {
    // onMessage hands a listener only events its own family decoded, so widening its parameter is safe.
    const subscription: Subscription = { family, kinds: new Set(kinds), listener: listener as (event: LibvirtEvent) => void };
    this.subscriptions.add(subscription);
    const wanted = [...subscription.kinds].map((kind) => this.retain(registrationOf(family, kind)));
    const unsubscribe = () => this.unsubscribe(subscription);
    try {
      const session = await this.whenOpen(what);
      await Promise.all(wanted.map((registration) => this.register(session, registration)));
    } catch (err) {
      await unsubscribe();
      throw err;
    }
    return unsubscribe;
  }

  private async iterate<E extends LibvirtEvent>(family: EventFamily<E>, kinds: readonly E["kind"][], what: string): Promise<AsyncIterableIterator<E>> {
    let unsubscribe: () => Promise<void> = async () => {};
    const iterator = new EventIterator<E>(() => unsubscribe());
    unsubscribe = await this.subscribe(family, iterator.push, kinds, what);
    return iterator;
  }

  private retain(registration: EventRegistration): EventRegistration {
    const entry = this.registrations.get(registration.key);
    if (entry) entry.refs++;
    else this.registrations.set(registration.key, { registration, refs: 1 });
    return registration;
  }

  private register(session: Session, { key, family, kind }: EventRegistration): Promise<void> {
    if (session.callbacks.has(key)) return Promise.resolve();
    let pending = session.registering.get(key);
    if (!pending) {
      pending = family
        .register(session.api, family.eventID(kind))
        .then((callbackID) => {
          session.callbacks.set(key, callbackID);
        })
        .finally(() => session.registering.delete(key));
      session.registering.set(key, pending);
    }
    return pending;
  }

  private async unsubscribe(subscription: Subscription): Promise<void> {
    if (!this.subscriptions.delete(subscription)) return;
    const unused: EventRegistration[] = [];
    for (const kind of subscription.kinds) {
      const entry = this.registrations.get(registrationOf(subscription.family, kind).key);
      if (!entry || --entry.refs > 0) continue;
      this.registrations.delete(entry.registration.key);
      unused.push(entry.registration);
    }
    const session = this.session;
    if (!session) return;
    await Promise.all(
      unused.map(async ({ key, family }) => {
        await session.registering.get(key)?.catch(() => {});
        const callbackID = session.callbacks.get(key);
        if (callbackID === undefined || this.registrations.has(key)) return;
        session.callbacks.delete(key);
        // A failure means the session is gone, and the callback with it.
        await family.deregister(session.api, callbackID).catch(() => {});
      }),
    );
  }

  private onMessage(session: Session, packet: Packet): void {
    if (packet.header.program !== REMOTE_PROGRAM) return;
    const { procedure } = packet.header;
    const family = EVENT_FAMILIES.find((f) => f.decoder(procedure));
    const decode = family?.decoder(procedure);
    if (!family || !decode) return; // events of other objects (node devices, secrets) are never registered
    let event: LibvirtEvent;
    try {
      event = decode(new XdrReader(packet.body));
    } catch (err) {
      console.error(`libvirt ${this.uri}: undecodable ${family.name} event ${procedure}:`, err);
      return;
    }
    // Events for a callback we no longer hold (deregistered, or from an old registration) are dropped.
    if (session.callbacks.get(registrationOf(family, event.kind).key) !== event.callbackID) return;
    for (const { family: wanted, kinds, listener } of this.subscriptions) {
      if (wanted !== family || !kinds.has(event.kind)) continue;
      try {
        listener(event);
      } catch (err) {
        console.error(`libvirt ${this.uri}: ${family.name} event listener failed on ${event.kind}:`, err);
      }
    }
  }

  // ---- errors ----

  private closedError(what: string): LibvirtConnectionError {
    return new LibvirtConnectionError("closed", `${what} on ${this.uri}: connection closed`);
  }

  private unavailableError(what: string): LibvirtConnectionError {
    const reason = this.lastError ? `: ${this.lastError.message}` : "";
    return new LibvirtConnectionError("unavailable", `${what} on ${this.uri}: not connected (waited ${this.options.callWaitMs} ms)${reason}`, {
      cause: this.lastError ?? undefined,
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

import type { ManagerEvent } from "@/server/events/bus";

/** The names of the events `/api/events` streams. */
export type LiveEventType = ManagerEvent["type"];
/** One event as the server sent it: the whole object, `type` included, typed by its name. */
export type LiveEvent<T extends LiveEventType = LiveEventType> = Extract<ManagerEvent, { type: T }>;

/** The part of the browser's EventSource the hub uses, so tests can pass a fake. */
export interface EventStream {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  removeEventListener(type: string, listener: (event: MessageEvent<string>) => void): void;
  close(): void;
}

export interface LiveEventHubOptions {
  /** Opens the stream: `new EventSource("/api/events")` in the browser. */
  connect: () => EventStream;
  /** Asked once the browser has given up on the stream; true when the user's session has ended. */
  sessionEnded: () => Promise<boolean>;
  /** The session ended on the server (signed out elsewhere, password or grants changed). */
  onSessionEnded: () => void;
  /**
   * The stream is open, the first time or back after a gap: events sent before it opened are not in
   * it — a gap's, and on the first open those between the server's render of the page and the
   * stream (an alert that fired in that second stayed off a freshly loaded /alerts) — so what the
   * tab shows is read again.
   */
  onOpened: () => void;
  /** Runs `run` after `ms`; returns a cancel function. */
  schedule?: (run: () => void, ms: number) => () => void;
}

/** EventSource.CLOSED, spelled out because EventSource does not exist outside the browser. */
const CLOSED = 2;
/** Reopening a stream the browser gave up on: the server's own `retry:` is 5 s, then doubling up to a minute. */
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 60_000;

type Handler = (event: ManagerEvent) => void;

const defaultSchedule = (run: () => void, ms: number) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/**
 * The tab's one connection to the event stream, shared by every component that listens.
 *
 * Reconnecting: while the stream drops and comes back (network, server restart) the browser
 * retries by itself and keeps `readyState` CONNECTING. It gives up, with `readyState` CLOSED, only
 * when the server answers with something other than a stream. When the session has ended that
 * answer is 401, but EventSource cannot see status codes and a proxy's 502 looks the same, so
 * the hub asks `sessionEnded()` (a signed-in API call) which it was: an ended session ends the
 * tab's session too; anything else is retried with a growing pause.
 */
export class LiveEventHub {
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly schedule: NonNullable<LiveEventHubOptions["schedule"]>;
  private stream: EventStream | null = null;
  private cancelRetry: (() => void) | null = null;
  private running = false;
  private failures = 0;

  constructor(private readonly options: LiveEventHubOptions) {
    this.schedule = options.schedule ?? defaultSchedule;
  }

  /** Calls `handler` with each event of the given types until the returned function is called. */
  subscribe<T extends LiveEventType>(types: readonly T[], handler: (event: LiveEvent<T>) => void): () => void {
    const h = handler as Handler;
    for (const type of types) {
      let set = this.handlers.get(type);
      if (!set) {
        set = new Set();
        this.handlers.set(type, set);
        this.stream?.addEventListener(type, this.dispatch);
      }
      set.add(h);
    }
    return () => {
      for (const type of types) this.handlers.get(type)?.delete(h);
    };
  }

  start(): void {
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    this.cancelRetry?.();
    this.cancelRetry = null;
    this.closeStream();
  }

  private open(): void {
    const stream = this.options.connect();
    this.stream = stream;
    stream.addEventListener("open", this.onOpen);
    stream.addEventListener("error", this.onError);
    for (const type of this.handlers.keys()) stream.addEventListener(type, this.dispatch);
  }

  private closeStream(): void {
    this.stream?.close();
    this.stream = null;
  }

  private readonly dispatch = (message: MessageEvent<string>) => {
    const event = JSON.parse(message.data) as ManagerEvent;
    // A copy: a handler may unsubscribe (its component unmounts) while the others are called.
    for (const handler of [...(this.handlers.get(message.type) ?? [])]) handler(event);
  };

  private readonly onOpen = () => {
    this.options.onOpened();
    this.failures = 0;
  };

  private readonly onError = () => {
    if (this.stream?.readyState !== CLOSED) return;
    this.closeStream();
    this.options.sessionEnded().then(
      (ended) => (ended ? this.endSession() : this.retryLater()),
      () => this.retryLater(),
    );
  };

  private endSession(): void {
    if (this.running) this.options.onSessionEnded();
  }

  private retryLater(): void {
    if (!this.running) return;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
    this.failures += 1;
    this.cancelRetry = this.schedule(() => {
      this.cancelRetry = null;
      if (this.running) this.open();
    }, delay);
  }
}

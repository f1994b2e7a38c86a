import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { clip, TEXT_MAX } from "./bounds";
import { ErrorCode, RpcError } from "./errors";
import { encodeLine, LineDecoder, lineText, MAX_LINE_BYTES } from "./framing";
import { classify, makeRequest, type RpcErrorObject, type RpcFailure, type RpcSuccess } from "./jsonrpc";
import { methods, type MethodName, type MethodParams, type MethodResult } from "./methods";
import { isNotificationName, notifications, type NotificationParams } from "./notifications";
import { AGENT_LINE_SHAPE, ERROR_DATA_BOUNDS, isBatchLine, shapeProblem, withinJsonBounds } from "./shape";

/**
 * Longest line parsed while no call waits for an answer. The agent's unasked messages are small
 * (a telemetry notification at its bounds is under 64 KiB, agent.ready about 5 KiB); a longer one
 * then is refused before JSON.parse, so a guest cannot make the host parse 16 MiB lines at will.
 */
export const UNSOLICITED_LINE_MAX = 1024 * 1024;

/** Schema issues kept in a refused result's error data: enough to see what was wrong. */
const ISSUES_KEPT = 10;

export interface AgentClientOptions {
  /** Default per-call timeout (30 s). */
  timeoutMs?: number;
  /** Longest line accepted from the agent (16 MiB). */
  maxLineBytes?: number;
  /**
   * Asked before a `telemetry` notification is checked: false drops it unparsed. The host's
   * per-VM rate limit (server/guest/session.ts), applied before the schema costs anything.
   */
  admitTelemetry?: () => boolean;
}

export interface SyncOptions {
  /** Give up after this long (10 s). */
  timeoutMs?: number;
  /** Send a fresh `sync` this often while the agent stays silent (1 s): the agent may not be running yet. */
  retryMs?: number;
}

export interface CallOptions {
  timeoutMs?: number;
}

export interface AgentClientEvents {
  "agent.ready": [info: NotificationParams<"agent.ready">];
  telemetry: [metrics: NotificationParams<"telemetry">];
  /**
   * A line after the handshake that was dropped: not JSON, not a message, a batch, an unknown
   * notification, params or an answer that fail the schema, an answer nobody waits for.
   */
  "protocol-error": [error: Error];
  close: [];
}

interface Pending {
  method: MethodName;
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface SyncAttempt {
  ids: Set<string>;
  /** A sync already went out for an agent.ready since the retry timer's last one. */
  answeredReady: boolean;
  resolve(): void;
}

type State = "idle" | "syncing" | "ready" | "closed";

/**
 * Host side of the agent protocol over any byte stream (a libvirt channel socket,
 * a unix socket in tests). Run `sync()` first: until its answer arrives every line
 * from the agent is treated as stale and dropped.
 */
export class AgentClient extends EventEmitter<AgentClientEvents> {
  private readonly stream: Duplex;
  private readonly decoder: LineDecoder;
  private readonly timeoutMs: number;
  private readonly maxLineBytes: number;
  private readonly admitTelemetry: () => boolean;
  private readonly pending = new Map<number, Pending>();
  private state: State = "idle";
  private syncAttempt: SyncAttempt | null = null;
  /** Tokens of the last handshake's syncs: the agent answers the ones after the first late, and rightly so. */
  private earlierSyncs = new Set<string>();
  private nextId = 1;
  private readonly closed: Promise<never>;

  constructor(stream: Duplex, options: AgentClientOptions = {}) {
    super();
    this.stream = stream;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.admitTelemetry = options.admitTelemetry ?? (() => true);
    this.decoder = new LineDecoder(this.maxLineBytes);
    this.closed = new Promise<never>((_, reject) => {
      this.once("close", () => reject(new RpcError(ErrorCode.InternalError, "the channel closed")));
    });
    // Only sync() awaits this; without a handshake running the rejection is expected and harmless.
    this.closed.catch(() => undefined);
    stream.on("data", this.onData);
    stream.on("close", this.onClose);
    stream.on("end", this.onClose);
    stream.on("error", this.onClose);
  }

  get synced(): boolean {
    return this.state === "ready";
  }

  async sync(options: SyncOptions = {}): Promise<void> {
    if (this.state === "closed") throw new RpcError(ErrorCode.InternalError, "sync: the channel is closed");
    if (this.state === "syncing") throw new RpcError(ErrorCode.Busy, "sync: a handshake is already running");
    const timeoutMs = options.timeoutMs ?? 10_000;
    const retryMs = options.retryMs ?? 1_000;
    this.state = "syncing";
    this.rejectAll(new RpcError(ErrorCode.InternalError, "the host re-synchronised; request abandoned"));
    const attempt: SyncAttempt = { ids: new Set(), answeredReady: false, resolve: () => undefined };
    this.syncAttempt = attempt;
    const done = new Promise<void>((resolve) => {
      attempt.resolve = resolve;
    });
    this.sendSync(attempt);
    const retry = setInterval(() => {
      attempt.answeredReady = false;
      this.sendSync(attempt);
    }, retryMs);
    let deadline: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      deadline = setTimeout(() => reject(new RpcError(ErrorCode.Timeout, `sync: the agent did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([done, expired, this.closed]);
      this.state = "ready";
    } catch (error) {
      if (this.state === "syncing") this.state = "idle";
      throw error;
    } finally {
      clearInterval(retry);
      clearTimeout(deadline);
      this.syncAttempt = null;
      this.earlierSyncs = attempt.ids;
    }
  }

  call<M extends MethodName>(method: M, params?: MethodParams<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    if (this.state !== "ready") {
      return Promise.reject(new RpcError(ErrorCode.InternalError, `${method}: not synchronised, call sync() first`));
    }
    const checked = methods[method].params.safeParse(params ?? {});
    if (!checked.success) {
      return Promise.reject(new RpcError(ErrorCode.InvalidParams, `${method}: invalid params`, { issues: checked.error.issues }));
    }
    const id = this.nextId++;
    const line = encodeLine(makeRequest(id, method, params ?? {}));
    if (line.length > this.maxLineBytes) {
      return Promise.reject(new RpcError(ErrorCode.TooLarge, `${method}: request of ${line.length} bytes exceeds ${this.maxLineBytes}`));
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    return new Promise<MethodResult<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcError(ErrorCode.Timeout, `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (result: unknown) => void, reject, timer });
      this.stream.write(line);
    });
  }

  /** Stops using the stream (which stays open: the caller owns it) and fails calls in flight. */
  close(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.stream.off("data", this.onData);
    this.stream.off("close", this.onClose);
    this.stream.off("end", this.onClose);
    this.stream.off("error", this.onClose);
    this.rejectAll(new RpcError(ErrorCode.InternalError, "the client was closed"));
    this.emit("close");
  }

  private sendSync(attempt: SyncAttempt): void {
    const token = randomBytes(8).toString("hex");
    attempt.ids.add(token);
    // The leading newline ends any partial line left in the channel by an earlier host.
    const request = encodeLine(makeRequest(`sync-${token}`, "sync", { id: token }));
    this.stream.write(Buffer.concat([Buffer.from("\n"), request]));
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const item of this.decoder.push(chunk)) {
      if (item.kind === "overflow") this.drop(`a line longer than ${item.limit} bytes`);
      else this.onLine(item.line);
    }
  };

  /** Everything a line must pass before JSON.parse, cheapest first; then the message it holds. */
  private onLine(line: Buffer): void {
    if (this.state === "idle" || this.state === "closed") return;
    // The host sends no batches, so a batch from the agent cannot be an answer; and notifications
    // come one to a line (a batch of 20,000 telemetry notifications was 20,000 events once).
    if (isBatchLine(line)) return this.drop(`a batch (${line.length} bytes); the host sends none, so none can be an answer`);
    if (line.length > UNSOLICITED_LINE_MAX && this.pending.size === 0) {
      return this.drop(`a line of ${line.length} bytes while no call waited for an answer`);
    }
    const problem = shapeProblem(line, AGENT_LINE_SHAPE);
    if (problem) return this.drop(`a line of ${line.length} bytes that was not parsed: ${problem}`);
    let value: unknown;
    try {
      value = JSON.parse(lineText(line));
    } catch {
      return this.drop(`invalid JSON: ${preview(line)}`);
    }
    this.onMessage(value, line);
  }

  private onMessage(value: unknown, line: Buffer): void {
    const message = classify(value);
    if (this.state === "syncing") {
      this.onMessageWhileSyncing(message);
      return;
    }
    switch (message.kind) {
      case "success":
      case "failure":
        this.settle(message.message);
        return;
      case "notification":
        this.onNotification(message.message.method, message.message.params);
        return;
      default:
        this.drop(`something that is not a JSON-RPC response or notification: ${preview(line)}`);
    }
  }

  private onMessageWhileSyncing(message: ReturnType<typeof classify>): void {
    const attempt = this.syncAttempt;
    if (!attempt) return;
    if (message.kind === "notification" && message.message.method === "agent.ready") {
      // The agent just started listening: ask again now instead of waiting for the retry timer,
      // once per retry period however many it sends (each sync is a write and an id to keep).
      this.onNotification("agent.ready", message.message.params);
      if (attempt.answeredReady) return;
      attempt.answeredReady = true;
      this.sendSync(attempt);
      return;
    }
    if (message.kind !== "success") return;
    const answered = methods.sync.result.safeParse(message.message.result);
    const id = message.message.id;
    if (!answered.success || typeof id !== "string" || !id.startsWith("sync-")) return;
    const token = id.slice("sync-".length);
    if (attempt.ids.has(token) && answered.data.id === token) attempt.resolve();
  }

  private onNotification(method: string, params: unknown): void {
    if (!isNotificationName(method)) return this.drop(`an unknown notification ${JSON.stringify(clip(method, 64))}`);
    if (method === "telemetry" && !this.admitTelemetry()) return;
    const parsed = notifications[method].params.safeParse(params);
    if (!parsed.success) return this.drop(`${method} with params that do not match the schema`);
    if (method === "agent.ready") {
      if (this.state === "ready") {
        this.rejectAll(new RpcError(ErrorCode.InternalError, "the agent restarted; request lost"));
      }
      this.emit("agent.ready", parsed.data as NotificationParams<"agent.ready">);
    } else {
      this.emit("telemetry", parsed.data as NotificationParams<"telemetry">);
    }
  }

  /** Reports a dropped line; before the handshake every line is stale and dropped silently. */
  private drop(what: string): void {
    if (this.state === "ready") this.emit("protocol-error", new Error(`the agent sent ${what}`));
  }

  private settle(response: RpcSuccess | RpcFailure): void {
    const entry = typeof response.id === "number" ? this.pending.get(response.id) : undefined;
    if (!entry) {
      if (this.isEarlierSync(response.id)) return;
      const id = typeof response.id === "string" ? JSON.stringify(clip(response.id, 40)) : String(response.id);
      const error = "error" in response ? ` (an error: ${JSON.stringify(clip(response.error.message, 200))})` : "";
      this.drop(`an answer to no call waiting (id ${id}: late, or not ours)${error}`);
      return;
    }
    this.pending.delete(response.id as number);
    clearTimeout(entry.timer);
    if ("error" in response) {
      const { code, message, data } = boundedError(response.error);
      entry.reject(new RpcError(code, `${entry.method}: ${message}`, data));
      return;
    }
    const parsed = methods[entry.method].result.safeParse(response.result);
    if (parsed.success) {
      entry.resolve(parsed.data);
      return;
    }
    const issues = parsed.error.issues.slice(0, ISSUES_KEPT).map(({ code, path, message }) => ({ code, path, message }));
    entry.reject(new RpcError(ErrorCode.InternalError, `${entry.method}: the agent's result does not match the schema`, { issues }));
  }

  /** An answer to one of the last handshake's other syncs (each is answered; only the first counts). */
  private isEarlierSync(id: unknown): boolean {
    return typeof id === "string" && id.startsWith("sync-") && this.earlierSyncs.delete(id.slice("sync-".length));
  }

  private rejectAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }

  private readonly onClose = (): void => {
    if (this.state === "closed") return;
    this.state = "closed";
    this.rejectAll(new RpcError(ErrorCode.InternalError, "the channel closed; request lost"));
    this.emit("close");
  };
}

/** The start of a line, quoted so that control characters a guest sent cannot reach a log as such. */
function preview(line: Buffer): string {
  return JSON.stringify(lineText(line.subarray(0, 120)));
}

/** An agent's error as the host keeps it: the message cut to 4 KiB, data dropped unless small. */
function boundedError(error: RpcErrorObject): RpcErrorObject {
  const message = clip(error.message, TEXT_MAX.text);
  if (error.data === undefined || withinJsonBounds(error.data, ERROR_DATA_BOUNDS)) return { code: error.code, message, data: error.data };
  return { code: error.code, message, data: { dropped: "the error data exceeded the host's bounds" } };
}

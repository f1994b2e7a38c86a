import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { ErrorCode, RpcError } from './errors';
import { encodeLine, LineDecoder, lineText, MAX_LINE_BYTES } from './framing';
import { classify, makeRequest, type RpcFailure, type RpcSuccess } from './jsonrpc';
import { methods, type MethodName, type MethodParams, type MethodResult } from './methods';
import { isNotificationName, notifications, type NotificationParams } from './notifications';

export interface AgentClientOptions {
  /** Default per-call timeout (30 s). */
  timeoutMs?: number;
  /** Longest line accepted from the agent (16 MiB). */
  maxLineBytes?: number;
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
  'agent.ready': [info: NotificationParams<'agent.ready'>];
  telemetry: [metrics: NotificationParams<'telemetry'>];
  /** Any notification, including ones this client version does not know. */
  notification: [method: string, params: unknown];
  /** A line after the handshake that is not a usable message (answered by nothing). */
  'protocol-error': [error: Error];
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
  resolve(): void;
}

type State = 'idle' | 'syncing' | 'ready' | 'closed';

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
  private readonly pending = new Map<number, Pending>();
  private state: State = 'idle';
  private syncAttempt: SyncAttempt | null = null;
  private nextId = 1;
  private readonly closed: Promise<never>;

  constructor(stream: Duplex, options: AgentClientOptions = {}) {
    super();
    this.stream = stream;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.decoder = new LineDecoder(this.maxLineBytes);
    this.closed = new Promise<never>((_, reject) => {
      this.once('close', () => reject(new RpcError(ErrorCode.InternalError, 'the channel closed')));
    });
    // Only sync() awaits this; without a handshake running the rejection is expected and harmless.
    this.closed.catch(() => undefined);
    stream.on('data', this.onData);
    stream.on('close', this.onClose);
    stream.on('end', this.onClose);
    stream.on('error', this.onClose);
  }

  get synced(): boolean {
    return this.state === 'ready';
  }

  async sync(options: SyncOptions = {}): Promise<void> {
    if (this.state === 'closed') throw new RpcError(ErrorCode.InternalError, 'sync: the channel is closed');
    if (this.state === 'syncing') throw new RpcError(ErrorCode.Busy, 'sync: a handshake is already running');
    const timeoutMs = options.timeoutMs ?? 10_000;
    const retryMs = options.retryMs ?? 1_000;
    this.state = 'syncing';
    this.rejectAll(new RpcError(ErrorCode.InternalError, 'the host re-synchronised; request abandoned'));
    const attempt: SyncAttempt = { ids: new Set(), resolve: () => undefined };
    this.syncAttempt = attempt;
    const done = new Promise<void>((resolve) => {
      attempt.resolve = resolve;
    });
    this.sendSync(attempt);
    const retry = setInterval(() => this.sendSync(attempt), retryMs);
    let deadline: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      deadline = setTimeout(
        () => reject(new RpcError(ErrorCode.Timeout, `sync: the agent did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([done, expired, this.closed]);
      this.state = 'ready';
    } catch (error) {
      if (this.state === 'syncing') this.state = 'idle';
      throw error;
    } finally {
      clearInterval(retry);
      clearTimeout(deadline);
      this.syncAttempt = null;
    }
  }

  call<M extends MethodName>(method: M, params?: MethodParams<M>, options: CallOptions = {}): Promise<MethodResult<M>> {
    if (this.state !== 'ready') {
      return Promise.reject(new RpcError(ErrorCode.InternalError, `${method}: not synchronised, call sync() first`));
    }
    const checked = methods[method].params.safeParse(params ?? {});
    if (!checked.success) {
      return Promise.reject(
        new RpcError(ErrorCode.InvalidParams, `${method}: invalid params`, { issues: checked.error.issues }),
      );
    }
    const id = this.nextId++;
    const line = encodeLine(makeRequest(id, method, params ?? {}));
    if (line.length > this.maxLineBytes) {
      return Promise.reject(
        new RpcError(ErrorCode.TooLarge, `${method}: request of ${line.length} bytes exceeds ${this.maxLineBytes}`),
      );
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
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stream.off('data', this.onData);
    this.stream.off('close', this.onClose);
    this.stream.off('end', this.onClose);
    this.stream.off('error', this.onClose);
    this.rejectAll(new RpcError(ErrorCode.InternalError, 'the client was closed'));
    this.emit('close');
  }

  private sendSync(attempt: SyncAttempt): void {
    const token = randomBytes(8).toString('hex');
    attempt.ids.add(token);
    // The leading newline ends any partial line left in the channel by an earlier host.
    const request = encodeLine(makeRequest(`sync-${token}`, 'sync', { id: token }));
    this.stream.write(Buffer.concat([Buffer.from('\n'), request]));
  }

  private readonly onData = (chunk: Buffer): void => {
    for (const item of this.decoder.push(chunk)) {
      if (item.kind === 'overflow') {
        if (this.state === 'ready') {
          this.emit('protocol-error', new Error(`the agent sent a line longer than ${item.limit} bytes`));
        }
        continue;
      }
      this.onLine(item.line);
    }
  };

  private onLine(line: Buffer): void {
    let value: unknown;
    try {
      value = JSON.parse(lineText(line));
    } catch (error) {
      if (this.state === 'ready') this.emit('protocol-error', new Error(`the agent sent invalid JSON: ${String(error)}`));
      return;
    }
    const messages = Array.isArray(value) ? value : [value];
    for (const message of messages) this.onMessage(message);
  }

  private onMessage(value: unknown): void {
    const message = classify(value);
    if (this.state === 'syncing') {
      this.onMessageWhileSyncing(message);
      return;
    }
    if (this.state !== 'ready') return;
    switch (message.kind) {
      case 'success':
      case 'failure':
        this.settle(message.message);
        return;
      case 'notification':
        this.onNotification(message.message.method, message.message.params);
        return;
      default:
        this.emit('protocol-error', new Error(`the agent sent an unexpected message: ${JSON.stringify(value).slice(0, 200)}`));
    }
  }

  private onMessageWhileSyncing(message: ReturnType<typeof classify>): void {
    const attempt = this.syncAttempt;
    if (!attempt) return;
    if (message.kind === 'notification' && message.message.method === 'agent.ready') {
      // The agent just started listening: ask again now instead of waiting for the retry timer.
      this.onNotification('agent.ready', message.message.params);
      this.sendSync(attempt);
      return;
    }
    if (message.kind !== 'success') return;
    const answered = methods.sync.result.safeParse(message.message.result);
    const id = message.message.id;
    if (!answered.success || typeof id !== 'string' || !id.startsWith('sync-')) return;
    const token = id.slice('sync-'.length);
    if (attempt.ids.has(token) && answered.data.id === token) attempt.resolve();
  }

  private onNotification(method: string, params: unknown): void {
    this.emit('notification', method, params);
    if (!isNotificationName(method)) return;
    const parsed = notifications[method].params.safeParse(params);
    if (!parsed.success) {
      this.emit('protocol-error', new Error(`the agent sent ${method} with invalid params`));
      return;
    }
    if (method === 'agent.ready') {
      if (this.state === 'ready') {
        this.rejectAll(new RpcError(ErrorCode.InternalError, 'the agent restarted; request lost'));
      }
      this.emit('agent.ready', parsed.data as NotificationParams<'agent.ready'>);
    } else {
      this.emit('telemetry', parsed.data as NotificationParams<'telemetry'>);
    }
  }

  private settle(response: RpcSuccess | RpcFailure): void {
    const entry = typeof response.id === 'number' ? this.pending.get(response.id) : undefined;
    if (!entry) {
      if ('error' in response) {
        const { code, message, data } = response.error;
        this.emit('protocol-error', new RpcError(code, `the agent reported: ${message}`, data));
      }
      return;
    }
    this.pending.delete(response.id as number);
    clearTimeout(entry.timer);
    if ('error' in response) {
      const { code, message, data } = response.error;
      entry.reject(new RpcError(code, `${entry.method}: ${message}`, data));
      return;
    }
    const parsed = methods[entry.method].result.safeParse(response.result);
    if (parsed.success) entry.resolve(parsed.data);
    else entry.reject(new RpcError(ErrorCode.InternalError, `${entry.method}: the agent's result does not match the schema`, { issues: parsed.error.issues }));
  }

  private rejectAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }

  private readonly onClose = (): void => {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.rejectAll(new RpcError(ErrorCode.InternalError, 'the channel closed; request lost'));
    this.emit('close');
  };
}

import type * as z from "zod/mini";
import { ErrorCode, RpcError } from "../../protocol/errors";
import { encodeLine, lineText } from "../../protocol/framing";
import { classify, makeFailure, makeSuccess, type RpcId, type RpcParams, type RpcResponse } from "../../protocol/jsonrpc";
import { isMethodName, methods, type Capability, type MethodName, type MethodResult } from "../../protocol/methods";
import type { Logger } from "../log";
import { BytesFieldResult } from "./bytes-result";
import { toRpcError } from "./errors";

export interface RequestContext {
  /** Absent for a notification. */
  id: RpcId | undefined;
  method: MethodName;
  /** Runs once the response is on the wire (used to answer before powering off). */
  afterResponse(action: () => void): void;
}

/** A handler's answer: its result, or the result with one field of bytes not yet in base64 (bytes-result.ts). */
export type HandlerResult<M extends MethodName> =
  MethodResult<M> | (MethodResult<M> extends object ? BytesFieldResult<MethodResult<M>, keyof MethodResult<M> & string> : never);

export type Handlers = {
  [M in MethodName]: (params: z.output<(typeof methods)[M]["params"]>, context: RequestContext) => Promise<HandlerResult<M>> | HandlerResult<M>;
};

export interface DispatcherOptions {
  handlers: Handlers;
  /** Why a capability is switched off (e.g. "exec_enabled is false"), or null when it is on. */
  disabledReason(capability: Capability): string | null;
  maxConcurrent: number;
  maxLineBytes: number;
  log: Logger;
}

export interface DispatchOutcome {
  /** The response line, or null when nothing is owed (notifications, notification-only batches). */
  line: Buffer | null;
  after: Array<() => void>;
}

type Answer = RpcResponse | null;

export class Dispatcher {
  private inFlight = 0;

  constructor(private readonly options: DispatcherOptions) {}

  async dispatch(line: Buffer): Promise<DispatchOutcome> {
    const after: Array<() => void> = [];
    let value: unknown;
    try {
      value = JSON.parse(lineText(line));
    } catch (error) {
      return { line: this.encode(makeFailure(null, { code: ErrorCode.ParseError, message: `Parse error: ${(error as Error).message}` })), after };
    }
    if (!Array.isArray(value)) {
      const answer = await this.handle(value, after);
      return { line: answer && this.encode(answer), after };
    }
    if (value.length === 0) {
      return { line: this.encode(makeFailure(null, { code: ErrorCode.InvalidRequest, message: "Invalid Request: empty batch" })), after };
    }
    const answers = (await Promise.all(value.map((item) => this.handle(item, after)))).filter((a): a is RpcResponse => a !== null);
    return { line: answers.length === 0 ? null : this.encodeBatch(answers), after };
  }

  /** The answer to a line that crossed the size limit; its id could not be read without buffering it. */
  overflowLine(limit: number): Buffer {
    return encodeLine(makeFailure(null, { code: ErrorCode.TooLarge, message: `Request line exceeds ${limit} bytes` }));
  }

  private async handle(value: unknown, after: Array<() => void>): Promise<Answer> {
    const message = classify(value);
    if (message.kind === "request" || message.kind === "notification") {
      const id = message.kind === "request" ? message.message.id : undefined;
      try {
        const result = await this.run(message.message.method, message.message.params, id, after);
        return id === undefined ? null : makeSuccess(id, result);
      } catch (error) {
        return id === undefined ? null : makeFailure(id, toRpcError(error).toJSON());
      }
    }
    const id = message.kind === "invalid" ? message.id : message.message.id;
    return makeFailure(id, { code: ErrorCode.InvalidRequest, message: "Invalid Request" });
  }

  private async run(method: string, params: RpcParams | undefined, id: RpcId | undefined, after: Array<() => void>): Promise<unknown> {
    if (!isMethodName(method)) throw new RpcError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
    const spec = methods[method];
    const disabled = this.options.disabledReason(spec.capability);
    if (disabled) throw new RpcError(ErrorCode.PermissionDenied, `${method} is disabled: ${disabled}`);
    if (Array.isArray(params)) throw new RpcError(ErrorCode.InvalidParams, `${method}: params must be an object`);
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
      throw new RpcError(ErrorCode.InvalidParams, `${method}: invalid params`, { issues });
    }
    if (this.inFlight >= this.options.maxConcurrent) {
      throw new RpcError(ErrorCode.Busy, `${method}: ${this.inFlight} requests already running`);
    }
    this.inFlight++;
    try {
      const handler = this.options.handlers[method] as (params: unknown, context: RequestContext) => unknown;
      return await handler(parsed.data, { id, method, afterResponse: (action) => after.push(action) });
    } finally {
      this.inFlight--;
    }
  }

  /** A response that would not fit on one line is replaced by a TooLarge error for the same id. */
  private encode(answer: RpcResponse): Buffer {
    const line =
      "result" in answer && answer.result instanceof BytesFieldResult
        ? answer.result.frame(`{"jsonrpc":"2.0","id":${JSON.stringify(answer.id)},"result":`, "}\n")
        : encodeLine(answer);
    if (line.length - 1 <= this.options.maxLineBytes) return line;
    this.options.log.warn("response too large, replaced by an error", { id: answer.id, bytes: line.length });
    return encodeLine(this.tooLarge(answer.id, line.length));
  }

  private encodeBatch(answers: RpcResponse[]): Buffer {
    const line = encodeLine(answers);
    if (line.length - 1 <= this.options.maxLineBytes) return line;
    this.options.log.warn("batch response too large, results replaced by errors", { bytes: line.length });
    return encodeLine(answers.map((answer) => ("error" in answer ? answer : this.tooLarge(answer.id, line.length))));
  }

  private tooLarge(id: RpcId, bytes: number): RpcResponse {
    return makeFailure(id, {
      code: ErrorCode.TooLarge,
      message: `Response of ${bytes} bytes exceeds the ${this.options.maxLineBytes}-byte line limit; ask for less`,
    });
  }
}

/**
 * JSON-RPC 2.0 message shapes (https://www.jsonrpc.org/specification).
 *
 * The envelope is checked by hand rather than with zod: it is on every message's path, and in a
 * TCG guest zod's parse of a request envelope costs ~0.25 ms, most of what answering a ping
 * takes. The params and results inside are still checked against each method's zod schema.
 */
export const JSONRPC_VERSION = "2.0";

export type RpcId = string | number | null;
export type RpcParams = Record<string, unknown> | unknown[];

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RpcRequest {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RpcId;
  method: string;
  params?: RpcParams;
}

/** A request without an `id` member: the receiver never answers it. */
export type RpcNotification = Omit<RpcRequest, "id">;

export interface RpcSuccess {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RpcId;
  result: unknown;
}

export interface RpcFailure {
  jsonrpc: typeof JSONRPC_VERSION;
  id: RpcId;
  error: RpcErrorObject;
}

export type RpcResponse = RpcSuccess | RpcFailure;
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

/** What one decoded JSON value is, as far as JSON-RPC is concerned. */
export type Classified =
  | { kind: "request"; message: RpcRequest }
  | { kind: "notification"; message: RpcNotification }
  | { kind: "success"; message: RpcSuccess }
  | { kind: "failure"; message: RpcFailure }
  /** Not a JSON-RPC message; `id` is the sender's id when it could be read, else null. */
  | { kind: "invalid"; id: RpcId };

export function classify(value: unknown): Classified {
  if (!isPlainObject(value)) return { kind: "invalid", id: null };
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== JSONRPC_VERSION) return { kind: "invalid", id };
  if ("method" in value) {
    const { method, params } = value;
    if (typeof method !== "string" || !isParams(params)) return { kind: "invalid", id: "id" in value ? id : null };
    const base: RpcNotification = params === undefined ? { jsonrpc: JSONRPC_VERSION, method } : { jsonrpc: JSONRPC_VERSION, method, params };
    if (!("id" in value)) return { kind: "notification", message: base };
    return isId(value.id) ? { kind: "request", message: { ...base, id: value.id } } : { kind: "invalid", id: null };
  }
  if (!isId(value.id)) return { kind: "invalid", id: null };
  if ("result" in value && !("error" in value)) {
    return { kind: "success", message: { jsonrpc: JSONRPC_VERSION, id: value.id, result: value.result } };
  }
  if ("error" in value && !("result" in value) && isErrorObject(value.error)) {
    return { kind: "failure", message: { jsonrpc: JSONRPC_VERSION, id: value.id, error: value.error } };
  }
  return { kind: "invalid", id };
}

export function makeRequest(id: RpcId, method: string, params?: RpcParams): RpcRequest {
  return params === undefined ? { jsonrpc: JSONRPC_VERSION, id, method } : { jsonrpc: JSONRPC_VERSION, id, method, params };
}

export function makeNotification(method: string, params?: RpcParams): RpcNotification {
  return params === undefined ? { jsonrpc: JSONRPC_VERSION, method } : { jsonrpc: JSONRPC_VERSION, method, params };
}

export function makeSuccess(id: RpcId, result: unknown): RpcSuccess {
  return { jsonrpc: JSONRPC_VERSION, id, result };
}

export function makeFailure(id: RpcId, error: RpcErrorObject): RpcFailure {
  return { jsonrpc: JSONRPC_VERSION, id, error };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is RpcId {
  return value === null || typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/** By-name (object) or by-position (array) params, or none. */
function isParams(value: unknown): value is RpcParams | undefined {
  return value === undefined || (typeof value === "object" && value !== null);
}

function isErrorObject(value: unknown): value is RpcErrorObject {
  return isPlainObject(value) && Number.isInteger(value.code) && typeof value.message === "string";
}

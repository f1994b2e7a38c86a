import { z } from 'zod';

/** JSON-RPC 2.0 message shapes (https://www.jsonrpc.org/specification). */
export const JSONRPC_VERSION = '2.0';

export const idSchema = z.union([z.string(), z.number(), z.null()]);
export type RpcId = z.infer<typeof idSchema>;

export const paramsSchema = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
export type RpcParams = z.infer<typeof paramsSchema>;

export const errorObjectSchema = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z.unknown().optional(),
});
export type RpcErrorObject = z.infer<typeof errorObjectSchema>;

export const requestSchema = z.object({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: idSchema,
  method: z.string(),
  params: paramsSchema.optional(),
});
export type RpcRequest = z.infer<typeof requestSchema>;

/** A request without an `id` member: the receiver never answers it. */
export const notificationSchema = requestSchema.omit({ id: true });
export type RpcNotification = z.infer<typeof notificationSchema>;

export const successResponseSchema = z.object({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: idSchema,
  result: z.unknown(),
});
export type RpcSuccess = { jsonrpc: typeof JSONRPC_VERSION; id: RpcId; result: unknown };

export const errorResponseSchema = z.object({
  jsonrpc: z.literal(JSONRPC_VERSION),
  id: idSchema,
  error: errorObjectSchema,
});
export type RpcFailure = z.infer<typeof errorResponseSchema>;

export type RpcResponse = RpcSuccess | RpcFailure;
export type RpcMessage = RpcRequest | RpcNotification | RpcResponse;

export const batchSchema = z.array(z.unknown()).min(1);

/** What one decoded JSON value is, as far as JSON-RPC is concerned. */
export type Classified =
  | { kind: 'request'; message: RpcRequest }
  | { kind: 'notification'; message: RpcNotification }
  | { kind: 'success'; message: RpcSuccess }
  | { kind: 'failure'; message: RpcFailure }
  /** Not a JSON-RPC message; `id` is the sender's id when it could be read, else null. */
  | { kind: 'invalid'; id: RpcId };

export function classify(value: unknown): Classified {
  if (!isPlainObject(value)) return { kind: 'invalid', id: null };
  const id = readableId(value);
  if ('method' in value) {
    if ('id' in value) {
      const parsed = requestSchema.safeParse(value);
      return parsed.success ? { kind: 'request', message: parsed.data } : { kind: 'invalid', id };
    }
    const parsed = notificationSchema.safeParse(value);
    return parsed.success ? { kind: 'notification', message: parsed.data } : { kind: 'invalid', id: null };
  }
  if ('result' in value && !('error' in value)) {
    const parsed = successResponseSchema.safeParse(value);
    if (parsed.success) return { kind: 'success', message: { ...parsed.data, result: value.result } };
  }
  if ('error' in value && !('result' in value)) {
    const parsed = errorResponseSchema.safeParse(value);
    if (parsed.success) return { kind: 'failure', message: parsed.data };
  }
  return { kind: 'invalid', id };
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
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readableId(value: Record<string, unknown>): RpcId {
  const parsed = idSchema.safeParse(value.id);
  return parsed.success ? parsed.data : null;
}

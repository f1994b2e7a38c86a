/**
 * Request bodies are read only up to a size fixed by who is asking: a client that has not signed
 * in can make the server hold at most 64 KiB (a sign-in form is < 1 KiB), a signed-in one 2 MiB.
 * Large transfers (disk images, ISOs) go through routes of their own that stream to their target.
 * Before this, one 400 MB POST to /api/trpc took the server from 212 MB to 1.55 GB before it answered 401.
 */
export const BODY_LIMIT_SIGNED_OUT = 64 * 1024;
/** Room for the largest tRPC input: a 1 MiB guest file chunk as base64 (1.33 MiB) plus its JSON envelope. */
export const BODY_LIMIT_SIGNED_IN = 2 * 1024 * 1024;

/**
 * The one route whose body may be larger: an upload's bytes, PUT to /api/storage/uploads/<id>,
 * streamed into its volume and bounded by the size declared when the upload was started
 * (server/storage/transfers.ts). It reads no body before it has checked the session.
 */
export function isStreamingUpload(method: string | undefined, url: string | undefined): boolean {
  return method === "PUT" && /^\/api\/storage\/uploads\/[0-9a-f]{32}(\?|$)/.test(url ?? "");
}

/** Content-Length, when the client sent a valid one. */
export function declaredLength(headers: Headers | Record<string, string | string[] | undefined>): number | null {
  const raw = headers instanceof Headers ? headers.get("content-length") : headers["content-length"];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === null || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/**
 * Reads the whole body, or null as soon as it passes `limit` — by its declared length, or while it
 * streams in (the rest is never read).
 */
export async function readBodyWithin(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = declaredLength(req.headers);
  if (declared !== null && declared > limit) return null;
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * The answer to a body that passed its limit while streaming in. The connection is left open: Node
 * then reads and discards the rest (memory stays flat), and the client is sure to read this answer.
 * Closing at once made the kernel reset the connection over the unread bytes, and a client still
 * sending often saw only the reset. (A body declared too large is refused by the front door before
 * it is sent, with the connection closed.)
 */
export function payloadTooLarge(limit: number): Response {
  return Response.json({ error: `The request is too large: at most ${Math.round(limit / 1024)} KiB is accepted here.` }, { status: 413 });
}

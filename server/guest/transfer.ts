// Whole-file transfers over the agent's chunked file_write / file_read, checked end to end with
// the SHA-256 the agent computes over the whole file (PROTOCOL.md, "Transferring files").
import { createHash } from "node:crypto";
import type { MethodName, MethodParams, MethodResult } from "@/agent/protocol";

/** Something that calls agent methods: a bound hub.call or an AgentSession's call. */
export type AgentCaller = <M extends MethodName>(method: M, params?: MethodParams<M>, options?: { timeoutMs?: number }) => Promise<MethodResult<M>>;

export const DEFAULT_CHUNK_BYTES = 1024 * 1024;
/** downloadFile holds the whole file in memory, and the file's size is the guest's word: past this it refuses. */
export const DOWNLOAD_MAX_BYTES = 1024 * 1024 * 1024;
const CHUNK_TIMEOUT_MS = 120_000;

export interface TransferOptions {
  /** Raw bytes per call; at most the agent's limits.max_file_chunk_bytes (4 MiB by default). */
  chunkBytes?: number;
  /** Chunks in flight at once (the agent serves requests concurrently; writes at an offset are positional). */
  window?: number;
  /**
   * Compare with the agent's SHA-256 of the whole file at the end (default true). Costs one pass
   * over the file inside the guest; off only where the caller checks the data some other way.
   */
  verify?: boolean;
}

export class TransferError extends Error {
  override readonly name = "TransferError";
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

async function inWindow(count: number, window: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(window, count)) }, worker));
}

/**
 * Uploads `data` to `path`: the first chunk replaces the file atomically (temp file + rename),
 * the rest are written in place at their offsets; then the agent's SHA-256 must equal ours.
 */
export async function uploadFile(
  call: AgentCaller,
  path: string,
  data: Buffer,
  options: TransferOptions & { mode?: number; createDirs?: boolean } = {},
): Promise<{ bytes: number; sha256: string }> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const chunk = (i: number) => data.subarray(i * chunkBytes, (i + 1) * chunkBytes);
  await call(
    "file_write",
    { path, content_base64: chunk(0).toString("base64"), mode: options.mode, create_dirs: options.createDirs },
    { timeoutMs: CHUNK_TIMEOUT_MS },
  );
  const chunks = Math.ceil(data.length / chunkBytes);
  await inWindow(chunks - 1, options.window ?? 2, async (i) => {
    const index = i + 1;
    await call("file_write", { path, content_base64: chunk(index).toString("base64"), offset: index * chunkBytes }, { timeoutMs: CHUNK_TIMEOUT_MS });
  });
  const expected = sha256(data);
  if (options.verify === false) return { bytes: data.length, sha256: expected };
  const stat = await call("file_stat", { path, sha256: true }, { timeoutMs: CHUNK_TIMEOUT_MS });
  if (stat.size !== data.length || stat.sha256 !== expected) {
    throw new TransferError(`upload to ${path}: the guest has ${stat.size} bytes with SHA-256 ${stat.sha256}, expected ${data.length} bytes with ${expected}`);
  }
  return { bytes: data.length, sha256: expected };
}

/** One chunk's bytes, refused when the guest sent more than were asked for. */
function chunkData(content: string, chunkBytes: number, path: string, offset: number): Buffer {
  const data = Buffer.from(content, "base64");
  if (data.length > chunkBytes) throw new TransferError(`download of ${path}: the guest sent ${data.length} bytes at ${offset}, ${chunkBytes} were asked for`);
  return data;
}

/** Downloads `path` chunk by chunk and checks the result against the agent's SHA-256 of the file. */
export async function downloadFile(
  call: AgentCaller,
  path: string,
  options: TransferOptions & { maxBytes?: number } = {},
): Promise<{ data: Buffer; sha256: string }> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const maxBytes = options.maxBytes ?? DOWNLOAD_MAX_BYTES;
  const first = await call("file_read", { path, offset: 0, length: chunkBytes }, { timeoutMs: CHUNK_TIMEOUT_MS });
  if (first.size > maxBytes)
    throw new TransferError(`download of ${path}: the guest reports ${first.size} bytes, more than the ${maxBytes} this reads at once`);
  const parts: Buffer[] = [chunkData(first.content_base64, chunkBytes, path, 0)];
  if (!first.eof) {
    const chunks = Math.ceil(first.size / chunkBytes);
    await inWindow(chunks - 1, options.window ?? 2, async (i) => {
      const index = i + 1;
      const part = await call("file_read", { path, offset: index * chunkBytes, length: chunkBytes }, { timeoutMs: CHUNK_TIMEOUT_MS });
      parts[index] = chunkData(part.content_base64, chunkBytes, path, index * chunkBytes);
    });
  }
  const data = Buffer.concat(parts);
  const actual = sha256(data);
  if (options.verify === false) return { data, sha256: actual };
  const stat = await call("file_stat", { path, sha256: true }, { timeoutMs: CHUNK_TIMEOUT_MS });
  if (stat.sha256 !== actual || stat.size !== data.length) {
    throw new TransferError(
      `download of ${path}: got ${data.length} bytes with SHA-256 ${actual}, the guest has ${stat.size} bytes with ${stat.sha256} (did the file change?)`,
    );
  }
  return { data, sha256: actual };
}

// How the Files tab moves a file, apart from React and tRPC (the tab passes the calls in), so the
// order of writes, the checks and the clean-up on cancel are tested without a browser.
import { Sha256, bytesToBase64, chunkPlan, tempUploadPath } from "./transfer-math";

/** The guest file calls a transfer makes; the tab binds them to tRPC (our agent or qemu-ga). */
export interface GuestFileCalls {
  /** Writes `contentBase64` at `offset`; offset 0 creates the file (or truncates it). */
  write(path: string, offset: number, contentBase64: string): Promise<void>;
  /** Reads at most `length` bytes at `offset`, with the file's size. */
  read(path: string, offset: number, length: number, signal: AbortSignal): Promise<{ bytes: Uint8Array<ArrayBuffer>; size: number; eof: boolean }>;
  /** Our agent only: size and SHA-256 of the whole file, computed in the guest. */
  stat?(path: string): Promise<{ size: number; sha256: string | undefined }>;
  /** Our agent only: rename, replacing a file at `to` in one step. */
  rename?(from: string, to: string): Promise<void>;
  /** Our agent only. */
  remove?(path: string): Promise<void>;
}

/** The user pressed Cancel: not a failure to report. */
export class TransferCancelled extends Error {
  override readonly name = "TransferCancelled";
  constructor() {
    super("cancelled");
  }
}

/** Why a transfer failed, as a message of the catalog (vmFiles.failed.<key>) and its arguments; the tab words it. */
export type TransferProblem =
  | { key: "cannotRename" }
  | { key: "uploadMismatch"; path: string; receivedSize: number; receivedSha256: string | undefined; sentSize: number; sentSha256: string }
  | { key: "tooMuch"; received: number; offset: number; asked: number }
  | { key: "changedWhileRead"; path: string; readSize: number; readSha256: string; guestSize: number; guestSha256: string | undefined };

export class TransferFailed extends Error {
  override readonly name = "TransferFailed";
  constructor(readonly problem: TransferProblem) {
    super(problem.key);
  }
}

export interface UploadOptions {
  calls: GuestFileCalls;
  file: Blob;
  target: string;
  chunkBytes: number;
  /** Hex for the temporary's name (crypto.getRandomValues in the browser). */
  random: string;
  signal: AbortSignal;
  onProgress: (bytesDone: number) => void;
}

function checkCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new TransferCancelled();
}

/**
 * Uploads `file` so that `target` is either untouched or the whole, checked file: the chunks go to
 * a temporary name beside it, hashed here as they are read; the guest's SHA-256 of the temporary
 * must match before it is renamed over the target. On cancel, a mismatch or any failure the
 * temporary is removed. Cancel waits for the chunk in flight: aborting its request would let the
 * write land after the removal and create the temporary again.
 * Memory: one chunk (and its base64 text) at a time, whatever the file's size.
 */
export async function uploadAtomically({ calls, file, target, chunkBytes, random, signal, onProgress }: UploadOptions): Promise<{ sha256: string }> {
  const { stat, rename, remove } = calls;
  if (!stat || !rename || !remove) throw new TransferFailed({ key: "cannotRename" });
  const temp = tempUploadPath(target, random);
  let written = false;
  try {
    const hash = new Sha256();
    let done = 0;
    for (const { offset, length } of chunkPlan(file.size, chunkBytes)) {
      checkCancelled(signal);
      const bytes = new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
      hash.update(bytes);
      written = true;
      await calls.write(temp, offset, bytesToBase64(bytes));
      done += bytes.length;
      onProgress(done);
    }
    checkCancelled(signal);
    const expected = hash.digestHex();
    const there = await stat(temp);
    if (there.size !== file.size || there.sha256 !== expected) {
      throw new TransferFailed({
        key: "uploadMismatch",
        path: target,
        receivedSize: there.size,
        receivedSha256: there.sha256,
        sentSize: file.size,
        sentSha256: expected,
      });
    }
    checkCancelled(signal);
    await rename(temp, target);
    written = false;
    return { sha256: expected };
  } finally {
    if (written) await remove(temp).catch(() => undefined);
  }
}

/**
 * Uploads through stock qemu-guest-agent, which can neither rename nor remove: the chunks are
 * written to `target` itself, so a cancelled or failed upload leaves the part already written
 * (the tab says so before it starts). No checksum: qemu-ga cannot hash a file.
 */
export async function uploadInPlace({ calls, file, target, chunkBytes, signal, onProgress }: Omit<UploadOptions, "random">): Promise<void> {
  let done = 0;
  for (const { offset, length } of chunkPlan(file.size, chunkBytes)) {
    checkCancelled(signal);
    const bytes = new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
    await calls.write(target, offset, bytesToBase64(bytes));
    done += bytes.length;
    onProgress(done);
  }
}

export interface DownloadOptions {
  calls: GuestFileCalls;
  path: string;
  chunkBytes: number;
  signal: AbortSignal;
  /** Called with each chunk in order: into a list for a Blob, or into a file on disk. */
  sink: (bytes: Uint8Array<ArrayBuffer>) => Promise<void> | void;
  onProgress: (bytesDone: number, size: number) => void;
}

/**
 * Reads `path` chunk by chunk into `sink`, hashing as it goes; with our agent (calls.stat) the
 * guest's SHA-256 of the file must then match, else the download fails (the file changed meanwhile).
 * Cancel aborts the read in flight: reading changes nothing in the guest.
 */
export async function download({
  calls,
  path,
  chunkBytes,
  signal,
  sink,
  onProgress,
}: DownloadOptions): Promise<{ size: number; sha256: string; verified: boolean }> {
  const hash = new Sha256();
  let offset = 0;
  for (;;) {
    checkCancelled(signal);
    const chunk = await calls.read(path, offset, chunkBytes, signal).catch((err: unknown) => {
      if (signal.aborted) throw new TransferCancelled();
      throw err;
    });
    if (chunk.bytes.length > chunkBytes) throw new TransferFailed({ key: "tooMuch", received: chunk.bytes.length, offset, asked: chunkBytes });
    hash.update(chunk.bytes);
    await sink(chunk.bytes);
    offset += chunk.bytes.length;
    onProgress(offset, chunk.size);
    if (chunk.eof || chunk.bytes.length === 0) break;
  }
  checkCancelled(signal);
  const sha256 = hash.digestHex();
  if (!calls.stat) return { size: offset, sha256, verified: false };
  const there = await calls.stat(path);
  if (there.size !== offset || there.sha256 !== sha256) {
    throw new TransferFailed({ key: "changedWhileRead", path, readSize: offset, readSha256: sha256, guestSize: there.size, guestSha256: there.sha256 });
  }
  return { size: offset, sha256, verified: true };
}

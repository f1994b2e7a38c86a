// The Files tab's arithmetic, kept free of React and of the network so node:test checks it: which
// chunks a transfer moves, the temporary name an upload is written under, paths inside the guest,
// speed over a sliding window, base64 for tRPC, and an incremental SHA-256.

/** One chunk of a transfer: `length` bytes at `offset`. */
export interface Chunk {
  offset: number;
  length: number;
}

/**
 * The chunks that move `size` bytes, each at most `chunkBytes`. An empty file is one empty chunk:
 * the write at offset 0 is what creates it.
 */
export function chunkPlan(size: number, chunkBytes: number): Chunk[] {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`size must be a whole number of bytes, got ${size}`);
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) throw new RangeError(`chunkBytes must be at least 1, got ${chunkBytes}`);
  if (size === 0) return [{ offset: 0, length: 0 }];
  const chunks: Chunk[] = [];
  for (let offset = 0; offset < size; offset += chunkBytes) chunks.push({ offset, length: Math.min(chunkBytes, size - offset) });
  return chunks;
}

/** Linux's NAME_MAX, in bytes: a temporary name longer than this cannot be created. */
const NAME_MAX_BYTES = 255;
export const UPLOAD_TEMP_MARK = ".kvmm-upload-";

/** The last component of a guest path ("/" for the root). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** The directory holding `path`; the root's parent is the root. */
export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  const cut = trimmed.lastIndexOf("/");
  return cut <= 0 ? "/" : trimmed.slice(0, cut);
}

export function joinPath(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, "")}/${name}`;
}

/** What is wrong with a file name, as a message of the catalog (vmFiles.nameProblem.<key>) and its arguments. */
export type NameProblem = { key: "empty" | "slash" | "nul" } | { key: "dots"; name: string } | { key: "tooLong"; max: number };

/** A name the browser's user may give a file in the guest: one component, no NUL. */
export function fileNameProblem(name: string): NameProblem | null {
  if (name === "") return { key: "empty" };
  if (name === "." || name === "..") return { key: "dots", name };
  if (name.includes("/")) return { key: "slash" };
  if (name.includes("\0")) return { key: "nul" };
  if (new TextEncoder().encode(name).length > NAME_MAX_BYTES) return { key: "tooLong", max: NAME_MAX_BYTES };
  return null;
}

/**
 * Where an upload to `target` is written until its SHA-256 matches: a hidden name in the same
 * directory (so the final rename is one step on one file system), `.<name>.kvmm-upload-<random>`,
 * with the name cut so the whole stays within NAME_MAX. `random` is hex from the caller.
 */
export function tempUploadPath(target: string, random: string): string {
  if (!/^[0-9a-f]{8,32}$/.test(random)) throw new RangeError("random must be 8 to 32 lowercase hex digits");
  const name = baseName(target);
  const room = NAME_MAX_BYTES - 1 - UPLOAD_TEMP_MARK.length - random.length;
  const encoder = new TextEncoder();
  let kept = name;
  // Cut by code points until the UTF-8 form fits.
  while (encoder.encode(kept).length > room) kept = Array.from(kept).slice(0, -1).join("");
  return joinPath(parentPath(target), `.${kept}${UPLOAD_TEMP_MARK}${random}`);
}

/** True for a name tempUploadPath makes: what a listing must not show as left behind. */
export function isTempUploadName(name: string): boolean {
  return name.startsWith(".") && new RegExp(`${UPLOAD_TEMP_MARK.replace(/[.]/g, "\\.")}[0-9a-f]{8,32}$`).test(name);
}

/**
 * Bytes per second over the last `windowMs`: steady enough to read, quick to follow a change.
 * Fed with the running total and the time it was reached.
 */
export class SpeedMeter {
  private readonly samples: { at: number; bytes: number }[] = [];

  constructor(private readonly windowMs = 3_000) {}

  record(totalBytes: number, atMs: number): void {
    this.samples.push({ at: atMs, bytes: totalBytes });
    // Keep one sample at or before the window's start, so the rate spans the whole window.
    while (this.samples.length > 2 && this.samples[1]!.at <= atMs - this.windowMs) this.samples.shift();
  }

  /** null until two samples lie apart in time. */
  bytesPerSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return null;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

/** Whole percent done, 0 for an empty plan that has not finished. */
export function percentDone(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0;
  return Math.min(100, Math.floor((done * 100) / total));
}

/** Seconds left at `bytesPerSecond`, null when it cannot be told. */
export function secondsLeft(done: number, total: number, bytesPerSecond: number | null): number | null {
  if (!bytesPerSecond || bytesPerSecond <= 0 || total < done) return null;
  return Math.ceil((total - done) / bytesPerSecond);
}

/** Base64 of `bytes` without Buffer (the browser), in slices so String.fromCharCode's argument list stays small. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  const SLICE = 0x8000;
  for (let i = 0; i < bytes.length; i += SLICE) binary += String.fromCharCode(...bytes.subarray(i, i + SLICE));
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74,
  0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d,
  0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e,
  0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
  0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/**
 * SHA-256 fed chunk by chunk. The browser's crypto.subtle.digest takes the whole input at once,
 * which for an upload of any size would mean holding the whole file in memory; this holds one
 * 64-byte block and the eight-word state, so a transfer hashes each chunk as it passes.
 */
export class Sha256 {
  private readonly h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  private readonly block = new Uint8Array(64);
  private readonly w = new Uint32Array(64);
  private filled = 0;
  private length = 0;
  private done = false;

  update(data: Uint8Array): this {
    if (this.done) throw new Error("Sha256: update after digest");
    this.length += data.length;
    let i = 0;
    if (this.filled > 0) {
      const take = Math.min(64 - this.filled, data.length);
      this.block.set(data.subarray(0, take), this.filled);
      this.filled += take;
      i = take;
      if (this.filled < 64) return this;
      this.compress(this.block, 0);
      this.filled = 0;
    }
    for (; i + 64 <= data.length; i += 64) this.compress(data, i);
    this.block.set(data.subarray(i), 0);
    this.filled = data.length - i;
    return this;
  }

  digestHex(): string {
    if (this.done) throw new Error("Sha256: digest twice");
    this.done = true;
    const bits = this.length * 8;
    this.block[this.filled++] = 0x80;
    if (this.filled > 56) {
      this.block.fill(0, this.filled);
      this.compress(this.block, 0);
      this.filled = 0;
    }
    this.block.fill(0, this.filled, 56);
    const view = new DataView(this.block.buffer);
    view.setUint32(56, Math.floor(bits / 2 ** 32));
    view.setUint32(60, bits >>> 0);
    this.compress(this.block, 0);
    return Array.from(this.h, (word) => word.toString(16).padStart(8, "0")).join("");
  }

  private compress(data: Uint8Array, at: number): void {
    const w = this.w;
    for (let t = 0; t < 16; t++) {
      const j = at + t * 4;
      w[t] = (data[j]! << 24) | (data[j + 1]! << 16) | (data[j + 2]! << 8) | data[j + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    const h = this.h;
    let a = h[0]! | 0;
    let b = h[1]! | 0;
    let c = h[2]! | 0;
    let d = h[3]! | 0;
    let e = h[4]! | 0;
    let f = h[5]! | 0;
    let g = h[6]! | 0;
    let hh = h[7]! | 0;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

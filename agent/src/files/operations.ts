import { constants, type Stats } from "node:fs";
import { lstat, open, opendir, rename, unlink, type FileHandle } from "../fs-async";
import type * as z from "zod/mini";
import { ErrorCode, RpcError } from "../../protocol/errors";
import type { methods } from "../../protocol/methods";
import { BytesFieldResult } from "../rpc/bytes-result";
import { errno, Walk } from "./confine";
import { byCodeUnits } from "../platform/sort-processes";

/**
 * node:crypto is loaded on first use: loading it costs ~1 MiB of RSS that an agent which never
 * hashes or writes a file would carry all its life (issue 15, scripts/bench/agent-footprint.ts).
 */
const crypto = () => import("node:crypto");

type Params<M extends keyof typeof methods> = z.output<(typeof methods)[M]["params"]>;
type Result<M extends keyof typeof methods> = z.output<(typeof methods)[M]["result"]>;

export interface FileLimits {
  roots: string[];
  maxChunkBytes: number;
}

const DEFAULT_LIST_LIMIT = 10_000;
const DEFAULT_FILE_MODE = 0o644;
/** The temporary file's name is fresh; a symlink there is planted, not ours. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

export async function fileStat(params: Params<"file_stat">, limits: FileLimits): Promise<Result<"file_stat">> {
  return confined(
    params.path,
    () => Walk.toEntry(params.path, limits.roots),
    async (walk) => {
      if (!params.sha256) {
        const info = await walk.stat();
        return { path: walk.real, ...describe(info) };
      }
      const notRegular = () => new RpcError(ErrorCode.InvalidParams, `file_stat: ${params.path} is not a regular file; cannot hash it`);
      const { handle, info } = await openRegular(walk, constants.O_RDONLY, notRegular);
      return { path: walk.real, ...describe(info), sha256: await sha256Of(handle) };
    },
  );
}

export async function fileList(params: Params<"file_list">, limits: FileLimits): Promise<Result<"file_list">> {
  return confined(
    params.path,
    () => Walk.toDirectory(params.path, limits.roots),
    async (walk) => {
      const limit = params.limit ?? DEFAULT_LIST_LIMIT;
      const entries: Result<"file_list">["entries"] = [];
      let truncated = false;
      for await (const entry of await opendir(walk.dir.via)) {
        if (entries.length >= limit) {
          truncated = true;
          break;
        }
        const info = await lstat(walk.inDir(entry.name)).catch(() => null);
        if (!info) continue; // removed while we listed
        const { type, size, mode, mtime } = describe(info);
        entries.push({ name: entry.name, type, size, mode, mtime });
      }
      entries.sort((a, b) => byCodeUnits(a.name, b.name));
      return { path: walk.real, entries, truncated };
    },
  );
}

export async function fileRead(params: Params<"file_read">, limits: FileLimits): Promise<BytesFieldResult<Result<"file_read">, "content_base64">> {
  const length = params.length ?? limits.maxChunkBytes;
  if (length > limits.maxChunkBytes) {
    throw new RpcError(ErrorCode.TooLarge, `file_read: length ${length} exceeds max_file_chunk_bytes ${limits.maxChunkBytes}`, {
      max_file_chunk_bytes: limits.maxChunkBytes,
    });
  }
  return confined(
    params.path,
    () => Walk.toEntry(params.path, limits.roots),
    async (walk) => {
      const { handle, info } = await openRegular(walk, constants.O_RDONLY, notRegular(params.path));
      try {
        const { size } = info;
        const offset = params.offset ?? 0;
        // Only the bytes read are sent, so the buffer needs no zeroing.
        const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return new BytesFieldResult<Result<"file_read">, "content_base64">(
          { length: filled, eof: offset + filled >= size, size },
          "content_base64",
          buffer.subarray(0, filled),
        );
      } finally {
        await handle.close();
      }
    },
  );
}

export async function fileWrite(params: Params<"file_write">, limits: FileLimits): Promise<Result<"file_write">> {
  const content = params.content_base64; // decoded by the schema
  if (content.length > limits.maxChunkBytes) {
    throw new RpcError(ErrorCode.TooLarge, `file_write: ${content.length} bytes exceed max_file_chunk_bytes ${limits.maxChunkBytes}`, {
      max_file_chunk_bytes: limits.maxChunkBytes,
    });
  }
  const walking = () => Walk.toEntry(params.path, limits.roots, { createDirs: params.create_dirs ?? false });
  return confined(params.path, walking, (walk) =>
    params.offset === undefined ? replaceAtomically(walk, content, params) : writeInPlace(walk, content, params.offset, params),
  );
}

/**
 * rename(2) between two walked directories: neither final component is followed, so a symlink is
 * moved as a link, and whatever sat at `to` is replaced in one step (a directory there is refused).
 */
export async function fileRename(params: Params<"file_rename">, limits: FileLimits): Promise<Result<"file_rename">> {
  return confined(
    params.from,
    () => Walk.toEntry(params.from, limits.roots),
    async (from) => {
      if (from.name === null) throw new RpcError(ErrorCode.InvalidParams, `file_rename: ${params.from} names a directory by itself (a root or ..)`);
      // Named after `from` when it is missing; after `to` for everything about the destination.
      await lstat(from.inDir(from.name));
      return confined(
        params.to,
        () => Walk.toEntry(params.to, limits.roots),
        async (to) => {
          const target = to.name === null ? null : await lstat(to.inDir(to.name)).catch(() => null);
          if (to.name === null || target?.isDirectory()) throw new RpcError(ErrorCode.IoError, `file_rename: ${params.to} is a directory`, { errno: "EISDIR" });
          await rename(from.inDir(from.name!), to.inDir(to.name));
          return { from: from.real, to: to.real };
        },
      );
    },
  );
}

/** unlink(2) inside the walked directory: a symlink goes, its target stays; a directory is refused. */
export async function fileRemove(params: Params<"file_remove">, limits: FileLimits): Promise<Result<"file_remove">> {
  return confined(
    params.path,
    () => Walk.toEntry(params.path, limits.roots),
    async (walk) => {
      if (walk.name === null) throw new RpcError(ErrorCode.IoError, `file_remove: ${params.path} is a directory`, { errno: "EISDIR" });
      const info = await lstat(walk.inDir(walk.name));
      if (info.isDirectory()) throw new RpcError(ErrorCode.IoError, `file_remove: ${params.path} is a directory`, { errno: "EISDIR" });
      await unlink(walk.inDir(walk.name));
      return { path: walk.real };
    },
  );
}

/** Writes a temporary file beside the target and renames it over the target, both inside the verified directory. */
async function replaceAtomically(walk: Walk, content: Buffer, params: Params<"file_write">) {
  const previous = await walk.stat().catch((error: unknown) => {
    if (errno(error) === "ENOENT") return null;
    throw error;
  });
  const name = walk.name;
  if (name === null || previous?.isDirectory()) throw new RpcError(ErrorCode.IoError, `file_write: ${params.path} is a directory`, { errno: "EISDIR" });
  const temp = walk.inDir(`.${name}.${(await crypto()).randomBytes(6).toString("hex")}.kvmm-tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
  try {
    await writeAll(handle, content, 0);
    // A replaced file keeps its owner and mode unless the request sets a mode.
    if (previous) await handle.chown(previous.uid, previous.gid).catch(() => undefined);
    await handle.chmod(params.mode ?? (previous ? previous.mode & 0o7777 : DEFAULT_FILE_MODE));
    await handle.datasync();
    await handle.close();
    await rename(temp, walk.inDir(name));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return { path: walk.real, bytes_written: content.length, size: content.length };
}

async function writeInPlace(walk: Walk, content: Buffer, offset: number, params: Params<"file_write">) {
  let created = false;
  const refusal = notRegular(params.path);
  const { handle } = await openRegular(walk, constants.O_WRONLY, refusal).catch((error: unknown) => {
    if (errno(error) !== "ENOENT") throw error;
    created = true;
    return openRegular(walk, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, refusal, params.mode ?? DEFAULT_FILE_MODE);
  });
  try {
    await writeAll(handle, content, offset);
    // The mode given to open is masked by the umask; a file we created gets exactly the requested one.
    if (params.mode !== undefined && created) await handle.chmod(params.mode);
    const { size } = await handle.stat();
    return { path: walk.real, bytes_written: content.length, size };
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, content: Buffer, offset: number): Promise<void> {
  let written = 0;
  while (written < content.length) {
    const { bytesWritten } = await handle.write(content, written, content.length - written, offset + written);
    written += bytesWritten;
  }
}

/** Refuses non-regular files: a FIFO or a device is not something to read, write or hash in chunks. */
async function openRegular(walk: Walk, flags: number, refusal: () => RpcError, mode?: number): Promise<{ handle: FileHandle; info: Stats }> {
  const handle = await walk.open(flags, mode);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refusal();
    return { handle, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function notRegular(requested: string): () => RpcError {
  return () => new RpcError(ErrorCode.IoError, `${requested}: not a regular file`, { errno: "EINVAL" });
}

async function sha256Of(handle: FileHandle): Promise<string> {
  const hash = (await crypto()).createHash("sha256");
  // The stream owns the handle from here and closes it.
  for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Runs `use` on a walk of `requested` and closes the walk's descriptors whatever happens. */
async function confined<T>(requested: string, walking: () => Promise<Walk>, use: (walk: Walk) => Promise<T>): Promise<T> {
  let walk: Walk | undefined;
  try {
    walk = await walking();
    return await use(walk);
  } catch (error) {
    throw namedAfter(error, requested);
  } finally {
    walk?.close();
  }
}

/** An OS error names the `/proc/self/fd/N/...` path it failed on; the host should see the path it asked about. */
function namedAfter(error: unknown, requested: string): unknown {
  const code = errno(error);
  if (error instanceof RpcError || code === undefined) return error;
  const reason = (error as Error).message.replace(/, \w+ '[^']*'( -> '[^']*')?$/, "");
  return Object.assign(new Error(`${requested}: ${reason}`), { code });
}

function describe(info: Stats) {
  const type = info.isFile() ? "file" : info.isDirectory() ? "directory" : info.isSymbolicLink() ? "symlink" : "other";
  return {
    type: type as "file" | "directory" | "symlink" | "other",
    size: info.size,
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    mtime: info.mtime.toISOString(),
  };
}

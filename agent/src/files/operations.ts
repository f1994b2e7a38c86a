import { createHash, randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, opendir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { ErrorCode, RpcError } from '../../protocol/errors';
import type { methods } from '../../protocol/methods';
import { BytesFieldResult } from '../rpc/bytes-result';
import { assertOpenedInside, resolveInside } from './confine';

type Params<M extends keyof typeof methods> = z.output<(typeof methods)[M]['params']>;
type Result<M extends keyof typeof methods> = z.output<(typeof methods)[M]['result']>;

export interface FileLimits {
  roots: string[];
  maxChunkBytes: number;
}

const DEFAULT_LIST_LIMIT = 10_000;
const DEFAULT_FILE_MODE = 0o644;
const DEFAULT_DIR_MODE = 0o755;
/** O_NOFOLLOW: the final component was resolved already; a symlink there now is a swap in progress. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

export async function fileStat(params: Params<'file_stat'>, limits: FileLimits): Promise<Result<'file_stat'>> {
  const real = await existing(params.path, limits.roots);
  const info = await stat(real);
  const result: Result<'file_stat'> = { path: real, ...describe(info) };
  if (params.sha256) {
    if (!info.isFile()) throw new RpcError(ErrorCode.InvalidParams, `file_stat: ${params.path} is not a regular file; cannot hash it`);
    result.sha256 = await sha256Of(real, limits.roots, params.path);
  }
  return result;
}

export async function fileList(params: Params<'file_list'>, limits: FileLimits): Promise<Result<'file_list'>> {
  const real = await existing(params.path, limits.roots);
  const limit = params.limit ?? DEFAULT_LIST_LIMIT;
  const entries: Result<'file_list'>['entries'] = [];
  let truncated = false;
  for await (const entry of await opendir(real)) {
    if (entries.length >= limit) {
      truncated = true;
      break;
    }
    const info = await lstat(path.join(real, entry.name)).catch(() => null);
    if (!info) continue; // removed while we listed
    const { type, size, mode, mtime } = describe(info);
    entries.push({ name: entry.name, type, size, mode, mtime });
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  return { path: real, entries, truncated };
}

export async function fileRead(params: Params<'file_read'>, limits: FileLimits): Promise<BytesFieldResult<Result<'file_read'>, 'content_base64'>> {
  const length = params.length ?? limits.maxChunkBytes;
  if (length > limits.maxChunkBytes) {
    throw new RpcError(ErrorCode.TooLarge, `file_read: length ${length} exceeds max_file_chunk_bytes ${limits.maxChunkBytes}`, {
      max_file_chunk_bytes: limits.maxChunkBytes,
    });
  }
  const real = await existing(params.path, limits.roots);
  const handle = await openRegular(real, constants.O_RDONLY, params.path, limits.roots);
  try {
    const { size } = await handle.stat();
    const offset = params.offset ?? 0;
    // Only the bytes read are sent, so the buffer needs no zeroing.
    const buffer = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - offset)));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return new BytesFieldResult<Result<'file_read'>, 'content_base64'>(
      { length: filled, eof: offset + filled >= size, size },
      'content_base64',
      buffer.subarray(0, filled),
    );
  } finally {
    await handle.close();
  }
}

export async function fileWrite(params: Params<'file_write'>, limits: FileLimits): Promise<Result<'file_write'>> {
  const content = params.content_base64; // decoded by the schema
  if (content.length > limits.maxChunkBytes) {
    throw new RpcError(ErrorCode.TooLarge, `file_write: ${content.length} bytes exceed max_file_chunk_bytes ${limits.maxChunkBytes}`, {
      max_file_chunk_bytes: limits.maxChunkBytes,
    });
  }
  const target = await resolveInside(params.path, limits.roots);
  if (target.missing.length > 1) {
    if (!params.create_dirs) throw new RpcError(ErrorCode.NotFound, `file_write: the parent directory of ${params.path} does not exist`);
    await mkdir(path.dirname(target.real), { recursive: true, mode: DEFAULT_DIR_MODE });
  }
  return params.offset === undefined
    ? replaceAtomically(target.real, content, params, limits.roots)
    : writeInPlace(target.real, content, params.offset, params, limits.roots);
}

async function replaceAtomically(real: string, content: Buffer, params: Params<'file_write'>, roots: string[]) {
  const previous = await stat(real).catch(() => null);
  if (previous?.isDirectory()) throw new RpcError(ErrorCode.IoError, `file_write: ${params.path} is a directory`, { errno: 'EISDIR' });
  const temp = path.join(path.dirname(real), `.${path.basename(real)}.${randomBytes(6).toString('hex')}.kvmm-tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
  try {
    await assertOpenedInside(params.path, handle, roots);
    await writeAll(handle, content, 0);
    // A replaced file keeps its owner and mode unless the request sets a mode.
    if (previous) await handle.chown(previous.uid, previous.gid).catch(() => undefined);
    await handle.chmod(params.mode ?? (previous ? previous.mode & 0o7777 : DEFAULT_FILE_MODE));
    await handle.datasync();
    await handle.close();
    await rename(temp, real);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  return { path: real, bytes_written: content.length, size: content.length };
}

async function writeInPlace(real: string, content: Buffer, offset: number, params: Params<'file_write'>, roots: string[]) {
  const existed = (await stat(real).catch(() => null)) !== null;
  const handle = await openRegular(real, constants.O_WRONLY | constants.O_CREAT, params.path, roots, params.mode ?? DEFAULT_FILE_MODE);
  try {
    await writeAll(handle, content, offset);
    if (params.mode !== undefined && !existed) await handle.chmod(params.mode);
    const { size } = await handle.stat();
    return { path: real, bytes_written: content.length, size };
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

async function existing(requested: string, roots: string[]): Promise<string> {
  const resolved = await resolveInside(requested, roots);
  if (resolved.missing.length > 0) throw new RpcError(ErrorCode.NotFound, `${requested}: no such file or directory`);
  return resolved.real;
}

/** Opens without following a final symlink, re-checks where the descriptor really points, and refuses non-regular files (a FIFO would block forever). */
async function openRegular(real: string, flags: number, requested: string, roots: string[], mode?: number): Promise<FileHandle> {
  const handle = await open(real, flags | NO_FOLLOW, mode);
  try {
    await assertOpenedInside(requested, handle, roots);
    if (!(await handle.stat()).isFile()) throw new RpcError(ErrorCode.IoError, `${requested}: not a regular file`, { errno: 'EINVAL' });
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function sha256Of(real: string, roots: string[], requested: string): Promise<string> {
  const handle = await openRegular(real, constants.O_RDONLY, requested, roots);
  const hash = createHash('sha256');
  // The stream owns the handle from here and closes it.
  for await (const chunk of handle.createReadStream({ highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function describe(info: Stats) {
  const type = info.isFile() ? 'file' : info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symlink' : 'other';
  return {
    type: type as 'file' | 'directory' | 'symlink' | 'other',
    size: info.size,
    mode: info.mode & 0o7777,
    uid: info.uid,
    gid: info.gid,
    mtime: info.mtime.toISOString(),
  };
}

import { readlink, realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, RpcError } from '../../protocol/errors';

export interface Resolved {
  /** The real path: symlinks in the existing part followed, missing part appended. */
  real: string;
  /** Components below the deepest existing ancestor (empty when the path exists). */
  missing: string[];
}

/**
 * Resolves `requested` the way the kernel will, then refuses anything outside the
 * allowed roots. The check comes before any existence is reported, so a refused
 * path reveals nothing about what lies outside the roots.
 */
export async function resolveInside(requested: string, roots: string[]): Promise<Resolved> {
  if (!path.isAbsolute(requested)) throw new RpcError(ErrorCode.PathNotAllowed, `${requested}: path must be absolute`);
  const resolved = await resolveExistingPrefix(requested);
  if (resolved.missing.some((part) => part === '..' || part === '.')) {
    throw new RpcError(ErrorCode.PathNotAllowed, `${requested}: . or .. below a missing directory`);
  }
  await assertInside(requested, resolved.real, roots);
  return resolved;
}

/** Guards against a directory swapped for a symlink between the check and the open. */
export async function assertOpenedInside(requested: string, handle: FileHandle, roots: string[]): Promise<void> {
  let opened: string;
  try {
    opened = await readlink(`/proc/self/fd/${handle.fd}`);
  } catch {
    return; // no /proc (Windows): the check before opening is all we have
  }
  await assertInside(requested, opened, roots);
}

async function assertInside(requested: string, real: string, roots: string[]): Promise<void> {
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => null);
    if (realRoot && isWithin(real, realRoot)) return;
  }
  throw new RpcError(ErrorCode.PathNotAllowed, `${requested}: outside allowed_paths (resolves to ${real})`);
}

export function isWithin(candidate: string, root: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

async function resolveExistingPrefix(requested: string): Promise<Resolved> {
  const missing: string[] = [];
  let current = requested;
  for (;;) {
    try {
      const real = await realpath(current);
      return { real: missing.length === 0 ? real : path.join(real, ...missing), missing };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) throw error;
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

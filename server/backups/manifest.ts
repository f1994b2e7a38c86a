import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * A backup's manifest (`manifest.json` in its directory): what the backup is, and the size and
 * SHA-256 of every other file in it. Files are hashed by streaming (never read whole into memory);
 * verification hashes them again and compares.
 */

export const MANIFEST_FILE = "manifest.json";

const fileEntrySchema = z.object({
  // A bare file name inside the backup's directory: the manifest never points elsewhere.
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ManifestFile = z.infer<typeof fileEntrySchema>;

export const manifestSchema = z.object({
  version: z.literal(1),
  backupId: z.string(),
  vm: z.object({ hostId: z.string(), uuid: z.string(), name: z.string() }),
  kind: z.enum(["full", "incremental"]),
  parentId: z.string().nullable(),
  checkpoint: z.string().nullable(),
  createdAt: z.string(),
  files: z.array(fileEntrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** SHA-256 and size of a file, read as a stream; `onBytes` hears each chunk's length (progress). */
export async function hashFile(path: string, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onBytes?.((chunk as Buffer).length);
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** Hashes the named files of `dir` and writes the manifest beside them. */
export async function writeManifest(
  dir: string,
  head: Omit<Manifest, "version" | "files">,
  names: readonly string[],
  onBytes?: (n: number) => void,
  signal?: AbortSignal,
): Promise<Manifest> {
  const files: ManifestFile[] = [];
  for (const name of names) files.push({ name, ...(await hashFile(join(dir, name), onBytes, signal)) });
  const manifest = manifestSchema.parse({ version: 1, ...head, files });
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
  return manifest;
}

export async function readManifest(dir: string): Promise<Manifest> {
  const text = await readFile(join(dir, MANIFEST_FILE), "utf8");
  return manifestSchema.parse(JSON.parse(text));
}

export interface FileCheck {
  name: string;
  ok: boolean;
  /** Why not, in plain words: missing, size or hash differs. */
  problem: string | null;
}

/** Hashes every file the manifest lists again; a missing file or a different size or hash is a problem named per file. */
export async function checkManifest(dir: string, manifest: Manifest, onBytes?: (n: number) => void, signal?: AbortSignal): Promise<FileCheck[]> {
  const checks: FileCheck[] = [];
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    const size = await stat(path).then(
      (s) => s.size,
      () => null,
    );
    if (size === null) {
      checks.push({ name: file.name, ok: false, problem: `${file.name} is missing` });
      continue;
    }
    const { sha256, bytes } = await hashFile(path, onBytes, signal);
    if (bytes !== file.bytes) checks.push({ name: file.name, ok: false, problem: `${file.name} has ${bytes} bytes, the manifest says ${file.bytes}` });
    else if (sha256 !== file.sha256) checks.push({ name: file.name, ok: false, problem: `${file.name}: SHA-256 differs from the manifest` });
    else checks.push({ name: file.name, ok: true, problem: null });
  }
  return checks;
}

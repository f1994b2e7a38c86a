import { z } from "zod";
import { LIST_MAX, MAX_FILE_CHUNK_BYTES, TEXT_MAX } from "../bounds";
import { absolutePath, base64Bytes, base64Text, bytes, count, resultPath, timestamp } from "./common";

const fileMode = z.number().int().min(0).max(0o7777).describe("permission bits, e.g. 420 for 0644");
const fileType = z.enum(["file", "directory", "symlink", "other"]);

export const fileStatParams = z.strictObject({
  path: absolutePath,
  sha256: z.boolean().optional().describe("hash the whole file (regular files only)"),
});
export const fileStatResult = z.object({
  path: resultPath.describe("the path after resolving symlinks"),
  type: fileType,
  size: bytes,
  mode: fileMode,
  uid: count,
  gid: count,
  mtime: timestamp,
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

export const fileListParams = z.strictObject({
  path: absolutePath,
  limit: z.number().int().min(1).max(LIST_MAX.fileEntries).optional().describe("default 10000"),
});
export const fileListResult = z.object({
  path: resultPath,
  entries: z
    .array(z.object({ name: z.string().max(TEXT_MAX.fileName), type: fileType, size: bytes, mode: fileMode, mtime: timestamp }))
    .max(LIST_MAX.fileEntries),
  truncated: z.boolean(),
});

export const fileReadParams = z.strictObject({
  path: absolutePath,
  offset: count.optional().describe("default 0"),
  length: count.optional().describe("default and maximum: the agent's max_file_chunk_bytes"),
});
export const fileReadResult = z.object({
  content_base64: base64Text(MAX_FILE_CHUNK_BYTES),
  length: bytes.describe("bytes in this chunk"),
  eof: z.boolean().describe("offset + length reached the end of the file"),
  size: bytes.describe("size of the whole file"),
});

export const fileWriteParams = z.strictObject({
  path: absolutePath,
  content_base64: base64Bytes,
  offset: count.optional().describe("absent: replace the whole file atomically; present: write in place at this offset (chunked upload)"),
  create_dirs: z.boolean().optional().describe("create missing parent directories"),
  mode: fileMode.optional().describe("applied when the file is created or replaced; default 0644"),
});
export const fileWriteResult = z.object({
  path: resultPath,
  bytes_written: bytes,
  size: bytes.describe("size of the file after the write"),
});

export const fileRenameParams = z.strictObject({
  from: absolutePath.describe("an existing file, symlink or directory"),
  to: absolutePath.describe("its new path; an existing file there is replaced atomically (rename(2)), an existing directory is refused"),
});
export const fileRenameResult = z.object({
  from: resultPath,
  to: resultPath,
});

export const fileRemoveParams = z.strictObject({
  path: absolutePath.describe("a file or symlink (the link itself); directories are refused"),
});
export const fileRemoveResult = z.object({
  path: resultPath,
});

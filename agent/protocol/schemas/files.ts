import * as z from "zod/mini";
import { lazy } from "./lazy";
import { LIST_MAX, MAX_FILE_CHUNK_BYTES, TEXT_MAX } from "../bounds";
import { absolutePath, base64Bytes, base64Text, bytes, count, resultPath, timestamp } from "./common";

const fileMode = lazy(() => z.int().check(z.minimum(0)).check(z.maximum(0o7777)).check(z.describe("permission bits, e.g. 420 for 0644")));
const fileType = lazy(() => z.enum(["file", "directory", "symlink", "other"]));

export const fileStatParams = lazy(() =>
  z.strictObject({
    path: absolutePath,
    sha256: z.optional(z.boolean()).check(z.describe("hash the whole file (regular files only)")),
  }),
);
export const fileStatResult = lazy(() =>
  z.object({
    path: resultPath.check(z.describe("the path after resolving symlinks")),
    type: fileType,
    size: bytes,
    mode: fileMode,
    uid: count,
    gid: count,
    mtime: timestamp,
    sha256: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  }),
);

export const fileListParams = lazy(() =>
  z.strictObject({
    path: absolutePath,
    limit: z.optional(z.int().check(z.minimum(1)).check(z.maximum(LIST_MAX.fileEntries))).check(z.describe("default 10000")),
  }),
);
export const fileListResult = lazy(() =>
  z.object({
    path: resultPath,
    entries: z
      .array(z.object({ name: z.string().check(z.maxLength(TEXT_MAX.fileName)), type: fileType, size: bytes, mode: fileMode, mtime: timestamp }))
      .check(z.maxLength(LIST_MAX.fileEntries)),
    truncated: z.boolean(),
  }),
);

export const fileReadParams = lazy(() =>
  z.strictObject({
    path: absolutePath,
    offset: z.optional(count).check(z.describe("default 0")),
    length: z.optional(count).check(z.describe("default and maximum: the agent's max_file_chunk_bytes")),
  }),
);
export const fileReadResult = lazy(() =>
  z.object({
    content_base64: base64Text(MAX_FILE_CHUNK_BYTES),
    length: bytes.check(z.describe("bytes in this chunk")),
    eof: z.boolean().check(z.describe("offset + length reached the end of the file")),
    size: bytes.check(z.describe("size of the whole file")),
  }),
);

export const fileWriteParams = lazy(() =>
  z.strictObject({
    path: absolutePath,
    content_base64: base64Bytes,
    offset: z.optional(count).check(z.describe("absent: replace the whole file atomically; present: write in place at this offset (chunked upload)")),
    create_dirs: z.optional(z.boolean()).check(z.describe("create missing parent directories")),
    mode: z.optional(fileMode).check(z.describe("applied when the file is created or replaced; default 0644")),
  }),
);
export const fileWriteResult = lazy(() =>
  z.object({
    path: resultPath,
    bytes_written: bytes,
    size: bytes.check(z.describe("size of the file after the write")),
  }),
);

export const fileRenameParams = lazy(() =>
  z.strictObject({
    from: absolutePath.check(z.describe("an existing file, symlink or directory")),
    to: absolutePath.check(z.describe("its new path; an existing file there is replaced atomically (rename(2)), an existing directory is refused")),
  }),
);
export const fileRenameResult = lazy(() =>
  z.object({
    from: resultPath,
    to: resultPath,
  }),
);

export const fileRemoveParams = lazy(() =>
  z.strictObject({
    path: absolutePath.check(z.describe("a file or symlink (the link itself); directories are refused")),
  }),
);
export const fileRemoveResult = lazy(() =>
  z.object({
    path: resultPath,
  }),
);

// The file system's promise functions for the agent, without loading node:fs/promises at start.
// That module, with the readline, watcher, directory and stream code it brings, cost an idle agent
// 0.6 MiB RSS natively for the process's life (node 20, --lite-mode, 5 runs each: node with net
// 40.5 MiB, with fs/promises too 41.1), and a static import loads it at start wherever it is written:
// the bundle hoists every import. An idle agent reads a few files; these are node:fs's callback
// functions behind promisify (node:fs is loaded with node itself). `open` alone needs a FileHandle
// (file transfer, self-update): it loads node:fs/promises on its first call.
import fs from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import type * as FsPromises from "node:fs/promises";

export type { FileHandle } from "node:fs/promises";
export const constants = fs.constants;

export const access = promisify(fs.access);
export const lstat = promisify(fs.lstat);
export const mkdir = promisify(fs.mkdir);
export const opendir = promisify(fs.opendir);
export const readdir = promisify(fs.readdir);
export const readFile = promisify(fs.readFile);
export const readlink = promisify(fs.readlink);
export const realpath = promisify(fs.realpath);
export const rename = promisify(fs.rename);
export const rm = promisify(fs.rm);
export const stat = promisify(fs.stat);
export const statfs = promisify(fs.statfs);
export const unlink = promisify(fs.unlink);
export const writeFile = promisify(fs.writeFile);

/** Built-ins resolve alike from any base; "/" spares import.meta, which the CommonJS bundle lacks. */
const requireBuiltin = createRequire("/");
let promises: typeof FsPromises | undefined;

export const open: typeof FsPromises.open = (...args) => {
  promises ??= requireBuiltin("node:fs/promises") as typeof FsPromises;
  return promises.open(...args);
};

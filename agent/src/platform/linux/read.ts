import { readFile } from "node:fs/promises";

/** Reads a small kernel or config file; null when it is absent or unreadable (e.g. a process that just exited). */
export async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

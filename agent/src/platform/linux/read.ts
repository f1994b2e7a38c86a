import { closeSync, openSync, readSync } from "node:fs";
import { readFile } from "../../fs-async";

/** Reads a small kernel or config file; null when it is absent or unreadable (e.g. a process that just exited). */
export async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

/**
 * A /proc file the agent reads again and again (telemetry): opened once and re-read from offset 0,
 * where the kernel's seq_file generates it afresh. One pread(2) on the event loop instead of
 * readFile's open, fstat, read and close, each a thread-pool round trip: under TCG those round trips
 * were most of the agent's idle CPU (issue 15; scripts/bench/agent-footprint.ts). procfs is
 * generated in memory, so the synchronous read cannot block on a disk.
 */
export class ProcFile {
  private fd: number | null = null;
  private buffer = Buffer.allocUnsafe(4096);

  constructor(readonly path: string) {}

  /** The file's text; null when it cannot be opened or read (it is opened again next time). */
  read(): string | null {
    try {
      this.fd ??= openSync(this.path, "r");
      for (;;) {
        const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
        // A full buffer may have cut the file: read it again whole into a larger one.
        if (length < this.buffer.length) return this.buffer.toString("utf8", 0, length);
        this.buffer = Buffer.allocUnsafe(this.buffer.length * 2);
      }
    } catch {
      this.close();
      return null;
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed: nothing is left to release.
    }
    this.fd = null;
  }
}

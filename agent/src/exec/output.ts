/** Keeps the first `cap` bytes of a stream and counts (but drops) the rest, so the child never blocks on a full pipe. */
export class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  toString(encoding: "utf8" | "base64"): string {
    return Buffer.concat(this.chunks, this.kept).toString(encoding);
  }
}

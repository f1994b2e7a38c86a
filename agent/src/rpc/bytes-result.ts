/**
 * A result with one field of raw bytes, sent as base64 without passing through a JSON string.
 *
 * `JSON.stringify` scans every character of a string for escapes and the UTF-8 encoder then
 * walks it again; for the 1.4 MB of base64 in a 1 MiB `file_read` chunk that is ~45 ms of a
 * TCG vCPU, four times the base64 encoding itself. Base64 never needs escaping and is ASCII, so
 * the dispatcher writes its text straight into the response line (`frame`). Anything that
 * serialises the result generically (a batch response) gets the same JSON through `toJSON`.
 */
export class BytesFieldResult<T extends object, K extends keyof T & string> {
  constructor(
    readonly fields: Omit<T, K>,
    readonly key: K,
    readonly bytes: Buffer,
  ) {}

  toJSON(): T {
    return { ...this.fields, [this.key]: this.bytes.toString("base64") } as T;
  }

  /** `prefix`, this result as JSON, `suffix`: one buffer, with the base64 text copied in once. */
  frame(prefix: string, suffix: string): Buffer {
    const fields = JSON.stringify(this.fields);
    const head = `${prefix}${fields.slice(0, -1)}${fields === "{}" ? "" : ","}${JSON.stringify(this.key)}:"`;
    const tail = `"}${suffix}`;
    const text = this.bytes.toString("base64");
    const headBytes = Buffer.byteLength(head);
    const line = Buffer.allocUnsafe(headBytes + text.length + Buffer.byteLength(tail));
    line.write(head, 0, "utf8");
    line.write(text, headBytes, "latin1");
    line.write(tail, headBytes + text.length, "utf8");
    return line;
  }
}

// XDR (RFC 4506) primitives used by the generated codecs and the runtime.
//
// Type mapping (documented in README.md): int/unsigned/enum/char/short → number,
// hyper/unsigned hyper → bigint (libvirt's 64-bit counters, e.g. CPU time in
// ns, exceed 2^53), double → number, bool → boolean, string → string (UTF-8),
// opaque → Buffer, char arrays → string (NUL-terminated C strings on the wire).

export class XdrError extends Error {
  override readonly name = "XdrError";
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function padding(length: number): number {
  return (4 - (length & 3)) & 3;
}

export class XdrWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** Overwrites an already written 32-bit word, e.g. a length prefix. */
  patchUint(offset: number, value: number): void {
    this.buf.writeUInt32BE(value, offset);
  }

  int(value: number): void {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw new XdrError(`int out of range: ${value}`);
    }
    this.reserve(4);
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
  }

  uint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
      throw new XdrError(`unsigned int out of range: ${value}`);
    }
    this.reserve(4);
    this.buf.writeUInt32BE(value, this.pos);
    this.pos += 4;
  }

  hyper(value: bigint): void {
    if (typeof value !== "bigint" || value < INT64_MIN || value > INT64_MAX) {
      throw new XdrError(`hyper out of range or not a bigint: ${String(value)}`);
    }
    this.reserve(8);
    this.buf.writeBigInt64BE(value, this.pos);
    this.pos += 8;
  }

  uhyper(value: bigint): void {
    if (typeof value !== "bigint" || value < 0n || value > UINT64_MAX) {
      throw new XdrError(`unsigned hyper out of range or not a bigint: ${String(value)}`);
    }
    this.reserve(8);
    this.buf.writeBigUInt64BE(value, this.pos);
    this.pos += 8;
  }

  float(value: number): void {
    this.reserve(4);
    this.buf.writeFloatBE(value, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.reserve(8);
    this.buf.writeDoubleBE(value, this.pos);
    this.pos += 8;
  }

  bool(value: boolean): void {
    this.int(value ? 1 : 0);
  }

  string(value: string, max: number): void {
    const length = Buffer.byteLength(value, "utf8");
    if (length > max) throw new XdrError(`string of ${length} bytes exceeds maximum ${max}`);
    this.uint(length);
    this.reserve(length + 3);
    this.buf.write(value, this.pos, length, "utf8");
    this.pos += length;
    this.zeroPad(length);
  }

  opaqueFixed(value: Uint8Array, length: number): void {
    if (value.length !== length) {
      throw new XdrError(`fixed opaque needs ${length} bytes, got ${value.length}`);
    }
    this.padded(value);
  }

  opaqueVar(value: Uint8Array, max: number): void {
    if (value.length > max) throw new XdrError(`opaque of ${value.length} bytes exceeds maximum ${max}`);
    this.uint(value.length);
    this.padded(value);
  }

  /** A C string sent as XDR chars (one 4-byte word each), padded with NULs to `length`. */
  charsFixed(value: string, length: number): void {
    const bytes = Buffer.from(value, "utf8");
    if (bytes.length > length) throw new XdrError(`char[${length}] cannot hold ${bytes.length} bytes`);
    for (let i = 0; i < length; i++) this.int(i < bytes.length ? signedByte(bytes[i]!) : 0);
  }

  /** A C string sent as a variable XDR char array, NUL terminator included as libvirt does. */
  charsVar(value: string, max: number): void {
    const bytes = Buffer.from(value, "utf8");
    if (bytes.length + 1 > max) throw new XdrError(`char<${max}> cannot hold ${bytes.length + 1} bytes`);
    this.uint(bytes.length + 1);
    for (const b of bytes) this.int(signedByte(b));
    this.int(0);
  }

  array<T>(items: readonly T[], max: number, encode: (w: XdrWriter, item: T) => void): void {
    if (items.length > max) throw new XdrError(`array of ${items.length} items exceeds maximum ${max}`);
    this.uint(items.length);
    for (const item of items) encode(this, item);
  }

  fixedArray<T>(items: readonly T[], length: number, encode: (w: XdrWriter, item: T) => void): void {
    if (items.length !== length) throw new XdrError(`fixed array needs ${length} items, got ${items.length}`);
    for (const item of items) encode(this, item);
  }

  optional<T>(value: T | null, encode: (w: XdrWriter, item: T) => void): void {
    if (value === null || value === undefined) {
      this.uint(0);
      return;
    }
    this.uint(1);
    encode(this, value);
  }

  /** Appends bytes as they are, without XDR padding (stream payloads are not XDR). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private padded(bytes: Uint8Array): void {
    this.raw(bytes);
    this.reserve(3);
    this.zeroPad(bytes.length);
  }

  private zeroPad(length: number): void {
    const pad = padding(length);
    for (let i = 0; i < pad; i++) this.buf[this.pos++] = 0;
  }

  private reserve(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function signedByte(b: number): number {
  return b > 127 ? b - 256 : b;
}

export class XdrReader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  int(): number {
    this.need(4, "int");
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint(): number {
    this.need(4, "unsigned int");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  hyper(): bigint {
    this.need(8, "hyper");
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  uhyper(): bigint {
    this.need(8, "unsigned hyper");
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float(): number {
    this.need(4, "float");
    const v = this.buf.readFloatBE(this.pos);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, "double");
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`bool must be 0 or 1, got ${v} at offset ${this.pos - 4}`);
    return v === 1;
  }

  string(max: number): string {
    const length = this.length(max, "string");
    const v = this.buf.toString("utf8", this.pos, this.pos + length);
    this.pos += length + padding(length);
    return v;
  }

  opaqueFixed(length: number): Buffer {
    this.need(length + padding(length), `opaque[${length}]`);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length + padding(length);
    return v;
  }

  opaqueVar(max: number): Buffer {
    return this.opaqueFixed(this.length(max, "opaque"));
  }

  charsFixed(length: number): string {
    const bytes: number[] = [];
    for (let i = 0; i < length; i++) bytes.push(this.int() & 0xff);
    return cString(bytes);
  }

  charsVar(max: number): string {
    const count = this.arrayLength(max, 4, "char array");
    const bytes: number[] = [];
    for (let i = 0; i < count; i++) bytes.push(this.int() & 0xff);
    return cString(bytes);
  }

  array<T>(max: number, decode: (r: XdrReader) => T): T[] {
    // Each element takes at least 4 bytes, so a length beyond remaining/4 is corrupt;
    // checking it first stops a hostile length from driving a huge allocation.
    const count = this.arrayLength(max, 4, "array");
    const items = new Array<T>(count);
    for (let i = 0; i < count; i++) items[i] = decode(this);
    return items;
  }

  fixedArray<T>(length: number, decode: (r: XdrReader) => T): T[] {
    const items = new Array<T>(length);
    for (let i = 0; i < length; i++) items[i] = decode(this);
    return items;
  }

  optional<T>(decode: (r: XdrReader) => T): T | null {
    const present = this.uint();
    if (present === 0) return null;
    if (present !== 1) throw new XdrError(`optional marker must be 0 or 1, got ${present} at offset ${this.pos - 4}`);
    return decode(this);
  }

  /** The unread rest as a view (stream payloads are raw bytes, not XDR). */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  private length(max: number, what: string): number {
    const length = this.uint();
    if (length > max) throw new XdrError(`${what} length ${length} exceeds maximum ${max} at offset ${this.pos - 4}`);
    this.need(length + padding(length), what);
    return length;
  }

  private arrayLength(max: number, minItemSize: number, what: string): number {
    const count = this.uint();
    if (count > max) throw new XdrError(`${what} length ${count} exceeds maximum ${max} at offset ${this.pos - 4}`);
    this.need(count * minItemSize, what);
    return count;
  }

  private need(bytes: number, what: string): void {
    if (this.pos + bytes > this.end) {
      throw new XdrError(`truncated XDR data: ${what} needs ${bytes} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
    }
  }
}

function cString(bytes: number[]): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul === -1 ? bytes : bytes.slice(0, nul)).toString("utf8");
}

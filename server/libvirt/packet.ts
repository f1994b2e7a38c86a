// Framing of libvirt's RPC protocol: every packet is a 4-byte big-endian
// length (counting itself), a header of six 32-bit words, then the XDR body.
import { VIR_NET_MESSAGE_LEN_MAX, VIR_NET_MESSAGE_MAX } from "./generated/protocol";
import { XdrReader, XdrWriter } from "./xdr";

export interface PacketHeader {
  program: number;
  version: number;
  procedure: number;
  type: number;
  serial: number;
  status: number;
}

export interface Packet {
  header: PacketHeader;
  /** The body bytes (a view into the received data, valid as long as the packet). */
  body: Buffer;
}

const HEADER_BYTES = 24;

export class PacketError extends Error {
  override readonly name = "PacketError";
}

/** Encodes one packet; `writeBody` appends the XDR body (or raw stream bytes). */
export function encodePacket(header: PacketHeader, writeBody?: (w: XdrWriter) => void, sizeHint = 256): Buffer {
  const w = new XdrWriter(sizeHint);
  w.uint(0); // length, patched below
  w.uint(header.program);
  w.uint(header.version);
  w.int(header.procedure);
  w.int(header.type);
  w.uint(header.serial);
  w.int(header.status);
  writeBody?.(w);
  const total = w.length;
  if (total - VIR_NET_MESSAGE_LEN_MAX > VIR_NET_MESSAGE_MAX) {
    throw new PacketError(`packet of ${total} bytes exceeds libvirt's ${VIR_NET_MESSAGE_MAX}-byte limit`);
  }
  w.patchUint(0, total);
  return w.bytes();
}

export function decodeHeader(data: Buffer): PacketHeader {
  const r = new XdrReader(data, 0, HEADER_BYTES);
  return {
    program: r.uint(),
    version: r.uint(),
    procedure: r.int(),
    type: r.int(),
    serial: r.uint(),
    status: r.int(),
  };
}

/**
 * Splits a byte stream into packets. Chunks are copied only when a packet
 * spans several of them, so large packets cost one copy, not one per chunk.
 */
export class PacketDecoder {
  private readonly lengthBytes = Buffer.alloc(4);
  private lengthFilled = 0;
  private current: Buffer | null = null;
  private filled = 0;

  /** Returns the packets completed by `chunk`; throws PacketError on a bad length. */
  push(chunk: Buffer): Packet[] {
    const packets: Packet[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.current) {
        const n = Math.min(this.current.length - this.filled, chunk.length - offset);
        chunk.copy(this.current, this.filled, offset, offset + n);
        this.filled += n;
        offset += n;
        if (this.filled === this.current.length) {
          packets.push(toPacket(this.current));
          this.current = null;
        }
        continue;
      }
      if (this.lengthFilled === 0 && chunk.length - offset >= 4) {
        const dataLength = checkedDataLength(chunk.readUInt32BE(offset));
        offset += 4;
        if (chunk.length - offset >= dataLength) {
          packets.push(toPacket(chunk.subarray(offset, offset + dataLength)));
          offset += dataLength;
        } else {
          this.start(dataLength);
        }
        continue;
      }
      this.lengthBytes[this.lengthFilled++] = chunk[offset++]!;
      if (this.lengthFilled === 4) {
        this.lengthFilled = 0;
        this.start(checkedDataLength(this.lengthBytes.readUInt32BE(0)));
      }
    }
    return packets;
  }

  private start(dataLength: number): void {
    this.current = Buffer.allocUnsafe(dataLength);
    this.filled = 0;
  }
}

function checkedDataLength(length: number): number {
  const dataLength = length - VIR_NET_MESSAGE_LEN_MAX;
  if (dataLength < HEADER_BYTES) throw new PacketError(`packet length ${length} is shorter than a header`);
  if (dataLength > VIR_NET_MESSAGE_MAX) throw new PacketError(`packet length ${length} exceeds libvirt's limit`);
  return dataLength;
}

function toPacket(data: Buffer): Packet {
  return { header: decodeHeader(data), body: data.subarray(HEADER_BYTES) };
}

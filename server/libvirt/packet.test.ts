import assert from "node:assert/strict";
import { test } from "node:test";
import { VIR_NET_CALL, VIR_NET_MESSAGE_MAX, VIR_NET_OK, VIR_NET_REPLY } from "./generated/protocol";
import { encodePacket, PacketDecoder, PacketError, type PacketHeader } from "./packet";

const header = (serial: number, type = VIR_NET_REPLY): PacketHeader => ({
  program: 0x20008086,
  version: 1,
  procedure: 59,
  type,
  serial,
  status: VIR_NET_OK,
});

test("a packet is length (counting itself), six header words, then the body", () => {
  const packet = encodePacket(header(7, VIR_NET_CALL), (w) => w.string("abc", 100));
  assert.equal(packet.readUInt32BE(0), packet.length);
  assert.equal(packet.length, 4 + 24 + 8);
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((i) => packet.readUInt32BE(4 + i * 4)),
    [0x20008086, 1, 59, VIR_NET_CALL, 7, VIR_NET_OK],
  );
});

test("the decoder splits packets however the bytes are chunked", () => {
  const stream = Buffer.concat([1, 2, 3].map((serial) => encodePacket(header(serial), (w) => w.string("x".repeat(serial * 10), 100))));
  for (const size of [1, 3, 5, 17, stream.length]) {
    const decoder = new PacketDecoder();
    const serials: number[] = [];
    const bodies: number[] = [];
    for (let i = 0; i < stream.length; i += size) {
      for (const p of decoder.push(stream.subarray(i, i + size))) {
        serials.push(p.header.serial);
        bodies.push(p.body.length);
      }
    }
    assert.deepEqual(serials, [1, 2, 3], `chunks of ${size}`);
    assert.deepEqual(bodies, [16, 24, 36]);
  }
});

test("the decoder refuses lengths below a header or above 32 MiB", () => {
  const tooSmall = Buffer.alloc(8);
  tooSmall.writeUInt32BE(8, 0);
  assert.throws(() => new PacketDecoder().push(tooSmall), PacketError);
  const tooBig = Buffer.alloc(4);
  tooBig.writeUInt32BE(VIR_NET_MESSAGE_MAX + 5, 0);
  assert.throws(() => new PacketDecoder().push(tooBig), /exceeds libvirt's limit/);
});

test("the encoder refuses packets above 32 MiB", () => {
  const big = Buffer.alloc(VIR_NET_MESSAGE_MAX);
  assert.throws(() => encodePacket(header(1), (w) => w.raw(big)), /exceeds libvirt's/);
});

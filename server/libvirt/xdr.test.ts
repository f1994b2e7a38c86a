import assert from "node:assert/strict";
import { test } from "node:test";
import * as p from "./generated/protocol";
import { XdrError, XdrReader, XdrWriter } from "./xdr";

function bytes(write: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter(4);
  write(w);
  return Buffer.from(w.bytes());
}

function roundTrip<T>(encode: (w: XdrWriter, v: T) => void, decode: (r: XdrReader) => T, value: T): T {
  const buf = bytes((w) => encode(w, value));
  const r = new XdrReader(buf);
  const out = decode(r);
  assert.equal(r.remaining, 0, "decoder consumed every byte");
  return out;
}

test("integers are big-endian words; 64-bit values are bigints", () => {
  assert.deepEqual(
    bytes((w) => w.int(-2)),
    Buffer.from([0xff, 0xff, 0xff, 0xfe]),
  );
  assert.deepEqual(
    bytes((w) => w.uint(0xdeadbeef)),
    Buffer.from([0xde, 0xad, 0xbe, 0xef]),
  );
  assert.deepEqual(
    bytes((w) => w.uhyper(1n << 40n)),
    Buffer.from([0, 0, 1, 0, 0, 0, 0, 0]),
  );
  const r = new XdrReader(bytes((w) => (w.hyper(-5n), w.uhyper(2n ** 64n - 1n), w.double(1.5), w.bool(true))));
  assert.deepEqual([r.hyper(), r.uhyper(), r.double(), r.bool()], [-5n, 2n ** 64n - 1n, 1.5, true]);
});

test("strings and opaque data are padded to four bytes with zeros", () => {
  assert.deepEqual(
    bytes((w) => w.string("abc", 10)),
    Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63, 0]),
  );
  assert.deepEqual(
    bytes((w) => w.string("abcd", 10)),
    Buffer.from([0, 0, 0, 4, 0x61, 0x62, 0x63, 0x64]),
  );
  assert.deepEqual(
    bytes((w) => w.opaqueVar(Buffer.from([9]), 4)),
    Buffer.from([0, 0, 0, 1, 9, 0, 0, 0]),
  );
  assert.deepEqual(
    bytes((w) => w.opaqueFixed(Buffer.from([1, 2]), 2)),
    Buffer.from([1, 2, 0, 0]),
  );
  const r = new XdrReader(bytes((w) => (w.string("héllo", 100), w.int(7))));
  assert.equal(r.string(100), "héllo");
  assert.equal(r.int(), 7, "padding was skipped");
});

test("encoders refuse values outside the declared bounds", () => {
  const w = new XdrWriter();
  assert.throws(() => w.int(2 ** 31), XdrError);
  assert.throws(() => w.int(1.5), XdrError);
  assert.throws(() => w.uint(-1), XdrError);
  assert.throws(() => w.uhyper(-1n), XdrError);
  assert.throws(() => w.hyper(2n ** 63n), XdrError);
  assert.throws(() => w.string("toolong", 3), /exceeds maximum 3/);
  assert.throws(() => w.array([1, 2, 3], 2, (ww, x) => ww.int(x)), /exceeds maximum 2/);
  assert.throws(() => w.opaqueFixed(Buffer.alloc(15), 16), /needs 16 bytes/);
  assert.throws(() => w.charsFixed("x".repeat(33), 32), /cannot hold/);
});

test("decoders refuse truncated data and lengths beyond the maximum", () => {
  assert.throws(() => new XdrReader(Buffer.from([0, 0, 1])).int(), /truncated/);
  assert.throws(() => new XdrReader(bytes((w) => w.uint(5))).string(4), /exceeds maximum 4/);
  assert.throws(() => new XdrReader(bytes((w) => (w.uint(8), w.int(1)))).string(100), /truncated/);
  // A hostile element count is caught before anything is allocated for it.
  assert.throws(() => new XdrReader(bytes((w) => w.uint(1_000_000))).array(2_000_000, (r) => r.int()), /truncated/);
  assert.throws(() => new XdrReader(bytes((w) => w.uint(2))).optional((r) => r.int()), /optional marker/);
  assert.throws(() => new XdrReader(bytes((w) => w.int(2))).bool(), /bool must be 0 or 1/);
});

test("structs with typedefs, fixed opaque and char arrays round-trip", () => {
  const dom: p.NonnullDomain = { name: "web-1", uuid: Buffer.alloc(16, 0xab), id: 7 };
  assert.deepEqual(roundTrip(p.encodeNonnullDomain, p.decodeNonnullDomain, dom), dom);
  const info: p.NodeGetInfoRet = { model: "x86_64", memory: 16n << 20n, cpus: 8, mhz: 2400, nodes: 1, sockets: 1, cores: 4, threads: 2 };
  const encoded = bytes((w) => p.encodeNodeGetInfoRet(w, info));
  assert.equal(encoded.length, 32 * 4 + 8 + 6 * 4, "char[32] takes one XDR word per char");
  assert.deepEqual(roundTrip(p.encodeNodeGetInfoRet, p.decodeNodeGetInfoRet, info), info);
});

test("optional values and variable arrays round-trip", () => {
  const args: p.ConnectOpenArgs = { name: null, flags: 0 };
  assert.deepEqual(roundTrip(p.encodeConnectOpenArgs, p.decodeConnectOpenArgs, args), args);
  const named: p.ConnectOpenArgs = { name: "qemu:///system", flags: 1 };
  assert.deepEqual(roundTrip(p.encodeConnectOpenArgs, p.decodeConnectOpenArgs, named), named);
  const list: p.ConnectListAllDomainsRet = {
    domains: [
      { name: "a", uuid: Buffer.alloc(16, 1), id: -1 },
      { name: "b", uuid: Buffer.alloc(16, 2), id: 3 },
    ],
    ret: 2,
  };
  assert.deepEqual(roundTrip(p.encodeConnectListAllDomainsRet, p.decodeConnectListAllDomainsRet, list), list);
});

test("unions encode the discriminant then the selected arm", () => {
  const values: p.TypedParamValue[] = [
    { type: 1, i: -3 },
    { type: 2, ui: 3 },
    { type: 3, l: -(2n ** 40n) },
    { type: 4, ul: 2n ** 63n },
    { type: 5, d: 0.25 },
    { type: 6, b: 1 },
    { type: 7, s: "text" },
  ];
  for (const v of values) assert.deepEqual(roundTrip(p.encodeTypedParamValue, p.decodeTypedParamValue, v), v);
  assert.deepEqual(
    bytes((w) => p.encodeTypedParamValue(w, { type: 2, ui: 9 })),
    Buffer.from([0, 0, 0, 2, 0, 0, 0, 9]),
  );
  assert.throws(() => p.decodeTypedParamValue(new XdrReader(bytes((w) => w.int(99)))), /no arm for type 99/);
  assert.throws(() => bytes((w) => p.encodeTypedParamValue(w, { type: 99 } as unknown as p.TypedParamValue)), XdrError);
});

test("variable char arrays carry a NUL terminator like libvirt sends", () => {
  const label: p.DomainGetSecurityLabelRet = { label: "system_u:r", enforcing: 1 };
  const buf = bytes((w) => p.encodeDomainGetSecurityLabelRet(w, label));
  assert.equal(buf.readUInt32BE(0), "system_u:r".length + 1);
  assert.deepEqual(roundTrip(p.encodeDomainGetSecurityLabelRet, p.decodeDomainGetSecurityLabelRet, label), label);
});

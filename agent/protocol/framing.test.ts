import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeLine, LineDecoder } from "./framing";

function lines(items: ReturnType<LineDecoder["push"]>): string[] {
  return items.map((item) => (item.kind === "line" ? item.line.toString() : `<overflow ${item.limit}>`));
}

describe("LineDecoder", () => {
  it("splits lines across chunk boundaries and skips blank lines", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(lines(decoder.push(Buffer.from('{"a":1}\n{"b"'))), ['{"a":1}']);
    assert.deepEqual(lines(decoder.push(Buffer.from(':2}\r\n\n  \n{"c":3}\n'))), ['{"b":2}', '{"c":3}']);
  });

  it("keeps a partial line until its newline arrives", () => {
    const decoder = new LineDecoder();
    assert.deepEqual(decoder.push(Buffer.from("abc")), []);
    assert.deepEqual(lines(decoder.push(Buffer.from("def\n"))), ["abcdef"]);
  });

  it("refuses an over-long line once and resynchronises at the next newline", () => {
    const decoder = new LineDecoder(8);
    assert.deepEqual(lines(decoder.push(Buffer.from("12345"))), []);
    assert.deepEqual(lines(decoder.push(Buffer.from("6789"))), ["<overflow 8>"]);
    assert.deepEqual(lines(decoder.push(Buffer.from("more junk without end"))), []);
    assert.deepEqual(lines(decoder.push(Buffer.from("tail\nok\n"))), ["ok"]);
  });

  it("accepts a line of exactly the limit", () => {
    const decoder = new LineDecoder(4);
    assert.deepEqual(lines(decoder.push(Buffer.from("abcd\nabcde\nx\n"))), ["abcd", "<overflow 4>", "x"]);
  });

  it("does not keep a reference to the caller's chunk", () => {
    const decoder = new LineDecoder();
    const chunk = Buffer.from("abc\n");
    const [item] = decoder.push(chunk);
    chunk.fill(0x7a);
    assert.equal(item?.kind === "line" && item.line.toString(), "abc");
  });

  it("copies what it keeps, so a reader may reuse one buffer for every read", () => {
    const decoder = new LineDecoder();
    const text = `${"x".repeat(40_000)}${"0123456789".repeat(7_000)}\nshort\n${"y".repeat(9_000)}\n`;
    const source = Buffer.from(text);
    const reused = Buffer.alloc(4096);
    const out: string[] = [];
    for (let offset = 0; offset < source.length; offset += reused.length) {
      const count = source.copy(reused, 0, offset, offset + reused.length);
      out.push(...lines(decoder.push(reused.subarray(0, count))));
      reused.fill(0x21);
    }
    assert.deepEqual(out, text.split("\n").slice(0, -1));
  });

  it("drops a partial line on reset", () => {
    const decoder = new LineDecoder();
    decoder.push(Buffer.from("stale"));
    decoder.reset();
    assert.deepEqual(lines(decoder.push(Buffer.from("fresh\n"))), ["fresh"]);
  });
});

describe("encodeLine", () => {
  it("produces exactly one line even when strings contain newlines", () => {
    const encoded = encodeLine({ text: "a\nb\r\n" }).toString();
    assert.equal(encoded.indexOf("\n"), encoded.length - 1);
    assert.deepEqual(JSON.parse(encoded), { text: "a\nb\r\n" });
  });
});

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { BytesFieldResult } from "./bytes-result";

type Chunk = { content_base64: string; length: number; eof: boolean; path: string };

describe("BytesFieldResult", () => {
  it("frames the same JSON that JSON.stringify gives for the plain result", () => {
    for (const size of [0, 1, 2, 3, 100_000]) {
      const bytes = randomBytes(size);
      const result = new BytesFieldResult<Chunk, "content_base64">({ length: size, eof: true, path: '/tmp/"quoted" ü' }, "content_base64", bytes);
      const line = result.frame('{"id":1,"result":', "}\n");
      assert.equal(line.at(-1), 0x0a);
      const parsed = JSON.parse(line.toString("utf8")) as { id: number; result: Chunk };
      assert.deepEqual(parsed, { id: 1, result: { length: size, eof: true, path: '/tmp/"quoted" ü', content_base64: bytes.toString("base64") } });
      assert.deepEqual(JSON.parse(JSON.stringify(result)), parsed.result);
    }
  });

  it("frames a result whose only field is the bytes", () => {
    const result = new BytesFieldResult<{ data: string }, "data">({}, "data", Buffer.from("hi"));
    assert.equal(result.frame("", "").toString(), '{"data":"aGk="}');
  });
});

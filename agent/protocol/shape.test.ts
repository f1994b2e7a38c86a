import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ERROR_DATA_BOUNDS, isBatchLine, shapeProblem, withinJsonBounds } from "./shape";

const limits = { maxDepth: 4, maxElements: 10 };
const line = (text: string) => Buffer.from(text);

describe("shapeProblem", () => {
  it("passes ordinary messages and malformed ones (JSON.parse refuses those cheaply)", () => {
    assert.equal(shapeProblem(line('{"jsonrpc":"2.0","id":1,"result":{"a":[1,2,{"b":3}]}}'), limits), null);
    assert.equal(shapeProblem(line('{"jsonrpc":"2.0","id":1,"result":'), limits), null);
    assert.equal(shapeProblem(line("not json at all"), limits), null);
  });

  it("refuses nesting deeper than the limit", () => {
    assert.match(shapeProblem(line(`{"a":${"[".repeat(4)}${"]".repeat(4)}}`), limits) ?? "", /deeper than 4/);
    assert.match(shapeProblem(line("[".repeat(5_000_000)), { maxDepth: 32, maxElements: 1_000_000 }) ?? "", /deeper than 32/);
  });

  it("refuses more elements than the limit, however flat", () => {
    assert.match(shapeProblem(line(`{"a":[${Array(12).fill(0).join(",")}]}`), limits) ?? "", /more than 10 elements/);
    assert.match(shapeProblem(line(`{"a":[${"{},".repeat(20_000)}{}]}`), { maxDepth: 32, maxElements: 10_000 }) ?? "", /elements/);
  });

  it("does not count brackets and commas inside strings, escaped quotes included", () => {
    const text = JSON.stringify({ a: `[[[[[,,,,,,,,,,,\\"{{{{{ "quoted" ]]]` });
    assert.equal(shapeProblem(line(text), limits), null);
  });

  it("settles a 10 MiB file chunk (one string) without walking it", () => {
    const chunk = JSON.stringify({ jsonrpc: "2.0", id: 7, result: { content_base64: Buffer.alloc(8 * 1024 * 1024, 1).toString("base64") } });
    assert.equal(shapeProblem(line(chunk), { maxDepth: 32, maxElements: 1_000_000 }), null);
  });
});

describe("isBatchLine", () => {
  it("recognises an array after leading blanks, and nothing else", () => {
    assert.equal(isBatchLine(line(' \t[{"jsonrpc":"2.0"}]')), true);
    assert.equal(isBatchLine(line('{"a":[1]}')), false);
    assert.equal(isBatchLine(line("   ")), false);
  });
});

describe("withinJsonBounds", () => {
  it("keeps small error data and refuses deep, wide or long data", () => {
    assert.equal(withinJsonBounds({ errno: "ENOENT", issues: [{ path: "a", message: "b" }] }, ERROR_DATA_BOUNDS), true);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(withinJsonBounds(deep, ERROR_DATA_BOUNDS), false);
    assert.equal(withinJsonBounds(Array(5_000).fill(0), ERROR_DATA_BOUNDS), false);
    assert.equal(withinJsonBounds({ x: "y".repeat(5_000) }, ERROR_DATA_BOUNDS), false);
    assert.equal(withinJsonBounds({ ["k".repeat(5_000)]: 1 }, ERROR_DATA_BOUNDS), false);
  });
});

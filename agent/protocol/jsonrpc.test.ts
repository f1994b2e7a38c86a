import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classify, makeFailure, makeNotification, makeRequest, makeSuccess } from "./jsonrpc";

describe("classify", () => {
  it("recognises requests, notifications and both kinds of response", () => {
    assert.equal(classify(makeRequest(1, "ping")).kind, "request");
    assert.equal(classify(makeRequest(null, "ping")).kind, "request");
    assert.equal(classify(makeNotification("telemetry", {})).kind, "notification");
    assert.equal(classify(makeSuccess("a", null)).kind, "success");
    assert.equal(classify(makeFailure(null, { code: -32700, message: "Parse error" })).kind, "failure");
  });

  it("keeps a result that is null or false", () => {
    const classified = classify({ jsonrpc: "2.0", id: 3, result: false });
    assert.deepEqual(classified, { kind: "success", message: { jsonrpc: "2.0", id: 3, result: false } });
  });

  it("reports invalid messages with the id when it can be read", () => {
    assert.deepEqual(classify({ jsonrpc: "2.0", id: 7, method: 1 }), { kind: "invalid", id: 7 });
    assert.deepEqual(classify({ jsonrpc: "1.0", id: "x", method: "ping" }), { kind: "invalid", id: "x" });
    assert.deepEqual(classify({ jsonrpc: "2.0", id: {}, method: "ping" }), { kind: "invalid", id: null });
    assert.deepEqual(classify({ jsonrpc: "2.0", method: "ping", params: "bar" }), { kind: "invalid", id: null });
    assert.deepEqual(classify(1), { kind: "invalid", id: null });
    assert.deepEqual(classify([]), { kind: "invalid", id: null });
    assert.deepEqual(classify({ jsonrpc: "2.0", id: 1, result: 1, error: { code: 1, message: "x" } }), {
      kind: "invalid",
      id: 1,
    });
  });
});

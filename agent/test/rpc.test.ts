import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../protocol/errors";
import { startHost, waitFor, type Host } from "./harness";

describe("JSON-RPC 2.0 over the channel", () => {
  let host: Host;
  const send = (message: unknown) => host.sendRaw(`${JSON.stringify(message)}\n`);
  const errorCode = (response: Record<string, unknown>) => (response.error as { code: number }).code;

  before(async () => {
    host = await startHost();
    await host.line("agent.ready", (m) => m.method === "agent.ready");
    // Before the handshake the agent answers nothing but sync.
    send({ jsonrpc: "2.0", id: "sync-0", method: "sync", params: { id: "h0" } });
    assert.deepEqual((await host.response("sync-0")).result, { id: "h0" });
  });
  after(() => host.stop());

  it("answers invalid JSON with a parse error and id null", async () => {
    host.sendRaw('{"jsonrpc": "2.0", "method": "ping", "params": "bar", "baz]\n');
    const response = await host.line("parse error", (m) => (m.error as { code?: number } | undefined)?.code === ErrorCode.ParseError);
    assert.equal(response.id, null);
  });

  it("answers a non-request with -32600 and an unknown method with -32601", async () => {
    send({ jsonrpc: "2.0", id: "inv", method: 1, params: "bar" });
    assert.equal(errorCode(await host.response("inv")), ErrorCode.InvalidRequest);
    send({ jsonrpc: "2.0", id: "nf", method: "format_disk" });
    const notFound = await host.response("nf");
    assert.equal(errorCode(notFound), ErrorCode.MethodNotFound);
    assert.match((notFound.error as { message: string }).message, /format_disk/);
  });

  it("answers bad params with -32602 and names the field", async () => {
    send({ jsonrpc: "2.0", id: "bp", method: "file_read", params: { path: 5 } });
    const response = await host.response("bp");
    assert.equal(errorCode(response), ErrorCode.InvalidParams);
    assert.deepEqual((response.error as { data: { issues: Array<{ path: string }> } }).data.issues[0]?.path, "path");
    send({ jsonrpc: "2.0", id: "arr", method: "ping", params: [1] });
    assert.equal(errorCode(await host.response("arr")), ErrorCode.InvalidParams);
  });

  it("never answers a notification", async () => {
    send({ jsonrpc: "2.0", method: "ping" });
    send({ jsonrpc: "2.0", method: "no_such_method" });
    send({ jsonrpc: "2.0", id: "after-notes", method: "ping" });
    await host.response("after-notes");
    const answered = host.received.filter((m) => typeof m === "object" && m !== null && (m as { id?: unknown }).id === undefined && !("method" in m));
    assert.deepEqual(answered, []);
    assert.equal(host.received.filter((m) => JSON.stringify(m).includes("no_such_method")).length, 0);
  });

  it("answers a batch with an array that leaves out the notifications", async () => {
    const arraysBefore = host.received.filter(Array.isArray).length;
    send([
      { jsonrpc: "2.0", id: "b1", method: "ping" },
      { jsonrpc: "2.0", method: "ping" },
      { jsonrpc: "2.0", id: "b2", method: "sync", params: { id: 42 } },
      { foo: "boo" },
      { jsonrpc: "2.0", id: "b3", method: "get_nothing" },
    ]);
    const answer = await batchAnswer(host, arraysBefore);
    const byId = new Map(answer.map((m) => [m.id, m]));
    assert.equal(answer.length, 4);
    assert.deepEqual((byId.get("b2") as { result: unknown }).result, { id: 42 });
    assert.equal((byId.get("b3") as { error: { code: number } }).error.code, ErrorCode.MethodNotFound);
    assert.equal((byId.get(null) as { error: { code: number } }).error.code, ErrorCode.InvalidRequest);
    assert.equal("result" in byId.get("b1")!, true);
  });

  it("sends file bytes as the same base64 alone and in a batch, and refuses content that is not base64", async () => {
    const content = Buffer.from([0, 1, 2, 250, 251, 252, 0x0a, 0x22, 0x5c]);
    writeFileSync(`${host.allowed}/bytes.bin`, content);
    const read = { jsonrpc: "2.0", method: "file_read", params: { path: `${host.allowed}/bytes.bin` } };
    send({ ...read, id: "fr" });
    assert.deepEqual((await host.response("fr")).result, { content_base64: content.toString("base64"), length: 9, eof: true, size: 9 });
    const arraysBefore = host.received.filter(Array.isArray).length;
    send([
      { ...read, id: "fr-b" },
      { jsonrpc: "2.0", id: "fw-b", method: "file_write", params: { path: `${host.allowed}/w.bin`, content_base64: "eA== " } },
    ]);
    const byId = new Map((await batchAnswer(host, arraysBefore)).map((m) => [m.id, m]));
    assert.equal((byId.get("fr-b")!.result as { content_base64: string }).content_base64, content.toString("base64"));
    const refused = byId.get("fw-b")!.error as { code: number; data: { issues: Array<{ path: string; message: string }> } };
    assert.equal(refused.code, ErrorCode.InvalidParams);
    assert.deepEqual(refused.data.issues, [{ path: "content_base64", message: "Invalid base64" }]);
    assert.equal(existsSync(`${host.allowed}/w.bin`), false);
  });

  it("answers nothing to a batch of notifications and -32600 to an empty batch", async () => {
    const arraysBefore = host.received.filter(Array.isArray).length;
    send([
      { jsonrpc: "2.0", method: "ping" },
      { jsonrpc: "2.0", method: "ping" },
    ]);
    host.sendRaw("[]\n");
    const empty = await host.line("empty batch error", (m) => (m.error as { message?: string } | undefined)?.message?.includes("empty batch") === true);
    assert.equal(empty.id, null);
    assert.equal(errorCode(empty), ErrorCode.InvalidRequest);
    send({ jsonrpc: "2.0", id: "after-batches", method: "ping" });
    await host.response("after-batches");
    assert.equal(host.received.filter(Array.isArray).length, arraysBefore);
    send([1, 2]);
    const invalid = await batchAnswer(host, arraysBefore);
    assert.deepEqual(
      invalid.map((m) => [m.id, (m.error as { code: number }).code]),
      [
        [null, ErrorCode.InvalidRequest],
        [null, ErrorCode.InvalidRequest],
      ],
    );
  });

  it("refuses a 17 MiB line without buffering it, then keeps serving", async () => {
    const huge = Buffer.alloc(17 * 1024 * 1024, 0x61);
    host.sendRaw('{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"pad":"');
    host.sendRaw(huge);
    host.sendRaw('"}}\n');
    const refused = await host.line("too-large error", (m) => (m.error as { code?: number } | undefined)?.code === ErrorCode.TooLarge, 20_000);
    assert.equal(refused.id, null);
    send({ jsonrpc: "2.0", id: "after-huge", method: "ping" });
    assert.equal(((await host.response("after-huge", 20_000)).result as { pong: boolean }).pong, true);
  });

  it("answers 100 concurrent requests, each with its own id", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    host.sendRaw(
      ids
        .map((id, i) =>
          JSON.stringify(
            i % 2 === 0 ? { jsonrpc: "2.0", id, method: "sync", params: { id } } : { jsonrpc: "2.0", id, method: "file_stat", params: { path: host.allowed } },
          ),
        )
        .join("\n") + "\n",
    );
    const responses = await Promise.all(ids.map((id) => host.response(id)));
    responses.forEach((response, i) => {
      if (i % 2 === 0) assert.deepEqual(response.result, { id: ids[i] });
      else assert.equal((response.result as { type: string }).type, "directory");
    });
  });
});

describe("before the sync handshake", () => {
  let host: Host;
  before(async () => {
    host = await startHost();
  });
  after(() => host.stop());

  const send = (message: unknown) => host.sendRaw(`${JSON.stringify(message)}\n`);
  /** Everything but notifications the agent sent on the current connection. */
  const answers = () => host.received.filter((m) => Array.isArray(m) || (typeof m === "object" && m !== null && !("method" in m)));

  /** Lines a host might find queued from before: none of them may run or get an answer. */
  const stale = () => {
    host.sendRaw('{"jsonrpc":"2.0","id":"half-a-request","meth');
    host.sendRaw("\n");
    send({ jsonrpc: "2.0", id: "early-write", method: "file_write", params: { path: `${host.allowed}/stale`, content_base64: "eA==" } });
    send({ jsonrpc: "2.0", id: "early-ping", method: "ping" });
    send({ jsonrpc: "2.0", method: "sync", params: { id: "a notification is no handshake" } });
    send({ jsonrpc: "2.0", id: "bad-sync", method: "sync", params: { id: "" } });
    send([{ jsonrpc: "2.0", id: "batched-sync", method: "sync", params: { id: "b" } }]);
    send({ jsonrpc: "2.0", id: "unknown", method: "format_disk" });
    host.sendRaw("not json\n");
  };

  it("answers only sync and silently drops every other line until then", async () => {
    await host.line("agent.ready", (m) => m.method === "agent.ready");
    stale();
    send({ jsonrpc: "2.0", id: "sync-1", method: "sync", params: { id: "h1" } });
    send({ jsonrpc: "2.0", id: "after-sync", method: "ping" });
    assert.equal(((await host.response("after-sync")).result as { pong: boolean }).pong, true);
    assert.deepEqual(
      answers().map((m) => (m as { id: unknown }).id),
      ["sync-1", "after-sync"],
      "the sync answer comes first and nothing before it was answered",
    );
    assert.equal(existsSync(`${host.allowed}/stale`), false, "a request from before the handshake never runs");
  });

  it("starts over on every new connection", async () => {
    host.socket.destroy();
    await host.nextConnection();
    await host.line("agent.ready", (m) => m.method === "agent.ready");
    stale();
    send({ jsonrpc: "2.0", id: 7, method: "sync", params: { id: 7 } });
    assert.deepEqual((await host.response(7)).result, { id: 7 });
    const client = await host.client();
    assert.equal((await client.call("ping")).pong, true);
    assert.deepEqual(answers()[0], { jsonrpc: "2.0", id: 7, result: { id: 7 } });
    assert.equal(existsSync(`${host.allowed}/stale`), false);
  });
});

/** The newest batch answer, once more than `skip` of them have arrived. */
function batchAnswer(host: Host, skip = 0): Promise<Array<Record<string, unknown>>> {
  return waitFor("a batch answer", () => {
    const arrays = host.received.filter(Array.isArray) as Array<Array<Record<string, unknown>>>;
    return arrays.length > skip ? arrays[arrays.length - 1] : undefined;
  });
}

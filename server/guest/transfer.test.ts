import assert from "node:assert/strict";
import { test } from "node:test";
import { downloadFile, TransferError, type AgentCaller } from "./transfer";

/** An agent whose file_read answers are whatever `answer` says (they have passed the schema). */
function agentAnswering(answer: (params: { offset?: number; length?: number }) => unknown): { call: AgentCaller; calls: () => number } {
  let calls = 0;
  const call = (async (_method: string, params?: { offset?: number; length?: number }) => {
    calls += 1;
    return answer(params ?? {});
  }) as AgentCaller;
  return { call, calls: () => calls };
}

test("a download refuses a file the guest says is larger than maxBytes, before reading on", async () => {
  const agent = agentAnswering(() => ({ content_base64: "AAAA", length: 3, eof: false, size: 1e15 }));
  await assert.rejects(downloadFile(agent.call, "/tmp/x", { chunkBytes: 3, maxBytes: 1024 }), TransferError);
  assert.equal(agent.calls(), 1);
});

test("a download refuses a chunk longer than it asked for", async () => {
  const agent = agentAnswering(({ length }) => ({ content_base64: Buffer.alloc((length ?? 0) * 4).toString("base64"), length: 1, eof: true, size: 1 }));
  await assert.rejects(downloadFile(agent.call, "/tmp/x", { chunkBytes: 1024 }), /the guest sent 4096 bytes at 0, 1024 were asked for/);
});

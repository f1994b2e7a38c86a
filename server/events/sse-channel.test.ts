import { test } from "node:test";
import assert from "node:assert/strict";
import { SseChannel } from "./sse-channel";

test("a client that stops reading is dropped once its queue passes the bound, and holds no more than that", () => {
  const closes: string[] = [];
  const channel = new SseChannel({ maxQueuedBytes: 256 * 1024, onClose: (why) => closes.push(why) });
  const event = { type: "guest.telemetry", payload: "x".repeat(4000) };
  let sent = 0;
  while (!channel.isClosed && sent < 100_000) {
    channel.event("guest.telemetry", event);
    sent += 1;
  }
  assert.deepEqual(closes, ["overflow"]);
  // ~4 KiB each: the bound is passed after ~64 events, never after thousands.
  assert.ok(sent < 80, `${sent} events were queued for a client that reads nothing`);
  channel.event("guest.telemetry", event);
  assert.equal(channel.queuedBytes, 0, "a dropped channel keeps queueing");
});

test("a client that reads keeps its stream however many events pass", async () => {
  const closes: string[] = [];
  const channel = new SseChannel({ maxQueuedBytes: 64 * 1024, onClose: (why) => closes.push(why) });
  const reader = channel.stream.getReader();
  let received = "";
  for (let i = 0; i < 500; i++) {
    channel.event("domain.lifecycle", { i, name: "web-1" });
    const { value } = await reader.read();
    received += new TextDecoder().decode(value);
  }
  assert.deepEqual(closes, []);
  assert.match(received, /event: domain.lifecycle\ndata: \{"i":499,"name":"web-1"\}\n\n$/);
  channel.close();
  assert.deepEqual(closes, ["server"]);
  assert.equal((await reader.read()).done, true);
});

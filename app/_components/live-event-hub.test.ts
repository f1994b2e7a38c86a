import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveEventHub, type EventStream, type LiveEventHubOptions } from "./live-event-hub";

type Listener = (event: MessageEvent<string>) => void;

/** An EventSource as the hub sees it, driven by the test. */
class FakeStream implements EventStream {
  readyState = 0;
  closed = false;
  private readonly listeners = new Map<string, Set<Listener>>();

  addEventListener(type: string, listener: Listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(listener);
  }

  removeEventListener(type: string, listener: Listener) {
    this.listeners.get(type)?.delete(listener);
  }

  close() {
    this.closed = true;
    this.readyState = 2;
  }

  emit(type: string, data = "") {
    for (const listener of this.listeners.get(type) ?? []) listener({ type, data } as MessageEvent<string>);
  }

  /** What the browser does when the server answers with something other than a stream (a 401). */
  giveUp() {
    this.readyState = 2;
    this.emit("error");
  }
}

function setUp(overrides: Partial<LiveEventHubOptions> = {}) {
  const streams: FakeStream[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const seen = { sessionEnded: 0, opened: 0 };
  const hub = new LiveEventHub({
    connect: () => {
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
    sessionEnded: async () => false,
    onSessionEnded: () => void seen.sessionEnded++,
    onOpened: () => void seen.opened++,
    schedule: (run, ms) => {
      timers.push({ run, ms });
      return () => undefined;
    },
    ...overrides,
  });
  return { hub, streams, timers, seen };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const lifecycle = (uuid: string) =>
  JSON.stringify({ type: "domain.lifecycle", hostId: "local", uuid, name: "web-1", event: "stopped", detail: 0, state: "shutoff" });

test("one stream serves every subscriber, each for its own event types", () => {
  const { hub, streams } = setUp();
  const got: string[] = [];
  hub.subscribe(["domain.lifecycle"], (e) => got.push(`a:${e.uuid}:${e.event}`));
  hub.start();
  hub.subscribe(["domain.lifecycle", "host.connection"], (e) => got.push(`b:${e.type}`));
  streams[0]!.emit("domain.lifecycle", lifecycle("u1"));
  streams[0]!.emit("host.connection", JSON.stringify({ type: "host.connection", hostId: "local", state: "connected", error: null }));
  assert.equal(streams.length, 1);
  assert.deepEqual(got, ["a:u1:stopped", "b:domain.lifecycle", "b:host.connection"]);
});

test("an unsubscribed handler hears nothing more; stop closes the stream", () => {
  const { hub, streams } = setUp();
  const got: string[] = [];
  hub.start();
  const off = hub.subscribe(["domain.lifecycle"], (e) => got.push(e.uuid));
  streams[0]!.emit("domain.lifecycle", lifecycle("u1"));
  off();
  streams[0]!.emit("domain.lifecycle", lifecycle("u2"));
  hub.stop();
  assert.deepEqual(got, ["u1"]);
  assert.equal(streams[0]!.closed, true);
});

test("each open of the stream, the first and one after a gap, asks the tab to read again what it shows", () => {
  const { hub, streams, seen } = setUp();
  hub.start();
  assert.equal(seen.opened, 0, "not before the stream is open");
  streams[0]!.emit("open");
  assert.equal(seen.opened, 1, "the first open: events between the page's render and the stream were not sent to it");
  streams[0]!.emit("error"); // the browser retries by itself: readyState stays CONNECTING
  streams[0]!.emit("open");
  assert.equal(seen.opened, 2);
  assert.equal(streams.length, 1, "no second stream while the browser retries");
});

test("when the browser gives up and the session has ended, the tab is sent to sign in and nothing is retried", async () => {
  const { hub, streams, timers, seen } = setUp({ sessionEnded: async () => true });
  hub.start();
  streams[0]!.giveUp();
  await settle();
  assert.equal(seen.sessionEnded, 1);
  assert.equal(timers.length, 0);
  assert.equal(streams.length, 1);
});

test("when the browser gives up but the session lives (a proxy's 502), the hub reopens with a growing pause", async () => {
  const { hub, streams, timers, seen } = setUp();
  const got: string[] = [];
  hub.subscribe(["domain.lifecycle"], (e) => got.push(e.uuid));
  hub.start();
  streams[0]!.giveUp();
  await settle();
  assert.equal(seen.sessionEnded, 0);
  assert.deepEqual(
    timers.map((t) => t.ms),
    [5_000],
  );
  timers[0]!.run();
  assert.equal(streams.length, 2);
  streams[1]!.emit("domain.lifecycle", lifecycle("u3"));
  assert.deepEqual(got, ["u3"], "subscriptions carry over to the new stream");
  streams[1]!.giveUp();
  await settle();
  assert.deepEqual(
    timers.map((t) => t.ms),
    [5_000, 10_000],
  );
});

test("a failed session check counts as a live session: retried, not signed out", async () => {
  const { hub, streams, timers, seen } = setUp({ sessionEnded: () => Promise.reject(new Error("offline")) });
  hub.start();
  streams[0]!.giveUp();
  await settle();
  assert.equal(seen.sessionEnded, 0);
  assert.equal(timers.length, 1);
});

test("nothing happens after stop, even when a session check answers late", async () => {
  let answer: (ended: boolean) => void = () => undefined;
  const { hub, streams, timers, seen } = setUp({ sessionEnded: () => new Promise((resolve) => (answer = resolve)) });
  hub.start();
  streams[0]!.giveUp();
  hub.stop();
  answer(true);
  await settle();
  assert.equal(seen.sessionEnded, 0);
  assert.equal(timers.length, 0);
});

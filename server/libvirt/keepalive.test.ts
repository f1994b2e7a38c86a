import assert from "node:assert/strict";
import { test } from "node:test";
import { Keepalive } from "./keepalive";

// The real timer is unref'd and 1 s apart; these tests drive tick() with a fake clock before it fires.

function harness() {
  let now = 0;
  const log: string[] = [];
  const ka = new Keepalive(
    1000,
    3,
    { ping: () => log.push(`ping@${now}`), dead: () => log.push(`dead@${now}`), silence: (silent) => log.push(`${silent ? "silent" : "spoke"}@${now}`) },
    () => now,
  );
  return { ka, log, at: (t: number) => ((now = t), ka.tick()) };
}

test("pings after an idle interval and declares the peer dead after `count` unanswered pings", () => {
  const { ka, log, at } = harness();
  at(500);
  assert.deepEqual(log, [], "no ping before the interval");
  for (const t of [1000, 2000, 3000, 4000, 5000]) at(t);
  assert.deepEqual(log, ["ping@1000", "silent@2000", "ping@2000", "ping@3000", "dead@4000"]);
  ka.stop();
});

test("any traffic counts as an answer", () => {
  const { ka, log, at } = harness();
  at(1000);
  at(2000);
  ka.traffic();
  at(2500);
  at(3000);
  at(4000);
  assert.deepEqual(log, ["ping@1000", "silent@2000", "ping@2000", "spoke@2000", "ping@3000", "silent@4000", "ping@4000"]);
  ka.stop();
});

test("silence is reported once, after a ping went unanswered for a whole interval, and its end once, on the next packet", () => {
  const { ka, log, at } = harness();
  at(1000);
  at(1999);
  assert.deepEqual(log, ["ping@1000", "ping@1999"], "a ping not yet a whole interval old is no silence");
  ka.traffic();
  ka.traffic();
  assert.deepEqual(log, ["ping@1000", "ping@1999"], "traffic without a silence before it reports nothing");
  at(3000);
  at(4000);
  at(5000);
  ka.traffic();
  ka.traffic();
  assert.deepEqual(log, ["ping@1000", "ping@1999", "ping@3000", "silent@4000", "ping@4000", "ping@5000", "spoke@5000"]);
  ka.stop();
});

test("a stopped keepalive reports no end of silence", () => {
  const { ka, log, at } = harness();
  at(1000);
  at(2000);
  ka.stop();
  ka.traffic();
  assert.deepEqual(log, ["ping@1000", "silent@2000", "ping@2000"]);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { HashGate } from "./hash-gate";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("no more than `concurrent` hashes run at once; the rest wait their turn in order", async () => {
  const gate = new HashGate({ concurrent: 2, perClient: 10, queued: 10 });
  const started: number[] = [];
  const releases = Array.from({ length: 5 }, deferred);
  const runs = releases.map((d, i) =>
    gate.run(`10.0.0.${i}`, async () => {
      started.push(i);
      await d.promise;
    }),
  );
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(gate.load(), { running: 2, waiting: 3 });
  releases[0]!.resolve();
  await runs[0];
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  for (const d of releases) d.resolve();
  await Promise.all(runs);
  assert.deepEqual(gate.load(), { running: 0, waiting: 0 });
});

test("one address cannot hold more than `perClient` slots, and a full queue refuses at once", async () => {
  const gate = new HashGate({ concurrent: 1, perClient: 2, queued: 1 });
  const hold = deferred();
  const a1 = gate.run("10.0.0.1", () => hold.promise);
  const a2 = gate.run("10.0.0.1", () => hold.promise);
  assert.deepEqual(await gate.run("10.0.0.1", async () => undefined), { busy: "10.0.0.1 already has 2 sign-in checks under way" });
  assert.deepEqual(await gate.run("10.0.0.2", async () => undefined), { busy: "too many sign-in checks under way" }, "the queue (1) is full");
  hold.resolve();
  await Promise.all([a1, a2]);
  assert.deepEqual(await gate.run("10.0.0.1", async () => "free again"), { value: "free again" });
});

test("a failing hash frees its slot", async () => {
  const gate = new HashGate({ concurrent: 1, perClient: 1, queued: 0 });
  await assert.rejects(
    gate.run("10.0.0.1", async () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.deepEqual(await gate.run("10.0.0.1", async () => 1), { value: 1 });
});

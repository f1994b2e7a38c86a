// Fuzz: a hostile guest writes 20,000 random and malicious lines into one VM's agent channel
// (random bytes, truncated JSON, deep nesting, huge arrays, batches, 10 MiB lines, answers to
// unknown ids, agent.ready and telemetry floods) while the host keeps calling it. The session must
// survive it and answer a real call afterwards, with its memory, its events and its log bounded.
// The lines come from a seeded PRNG: FUZZ_SEED=<n> reproduces a run, FUZZ_LINES=<n> sizes it.
import assert from "node:assert/strict";
import { test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { exampleAgentInfo, exampleMetrics } from "@/agent/protocol/examples";
import { AgentSession } from "./session";
import { ScriptedAgent } from "./testing/scripted-agent";

const SEED = Number(process.env.FUZZ_SEED ?? 20_250_101);
const LINES = Number(process.env.FUZZ_LINES ?? 20_000);
/** Simulated time per line: the run spans LINES / 1000 seconds of the rate limits' clock. */
const MS_PER_LINE = 1;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const MiB = 1024 * 1024;
const telemetry = { jsonrpc: "2.0", method: "telemetry", params: exampleMetrics };
const ready = { jsonrpc: "2.0", method: "agent.ready", params: exampleAgentInfo };
const line = (message: unknown) => Buffer.from(`${JSON.stringify(message)}\n`);

/** Lines too costly to build 20,000 times; built once, before the heap baseline. */
function bigLines() {
  const disks = Array.from({ length: 40_000 }, (_, i) => ({ ...exampleMetrics.disks[0]!, device: `fake${i}` }));
  return {
    batch: line(Array.from({ length: 20_000 }, () => telemetry)),
    tenMiB: line({ ...telemetry, params: { ...exampleMetrics, padding: "x".repeat(10 * MiB) } }),
    manyDisks: line({ ...telemetry, params: { ...exampleMetrics, disks } }),
    deep: Buffer.from(`{"jsonrpc":"1.0","x":${"[".repeat(400_000)}${"]".repeat(400_000)}}\n`),
    flat: Buffer.from(`{"jsonrpc":"2.0","id":1,"result":[${"{},".repeat(2_000_000)}{}]}\n`),
  };
}

type Big = ReturnType<typeof bigLines>;

/** One hostile line, by kind; the weights make the cheap kinds common and the 10 MiB ones rare. */
function hostileLine(random: () => number, big: Big): Buffer {
  const pick = random();
  const int = (max: number) => Math.floor(random() * max);
  if (pick < 0.15) return Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)));
  if (pick < 0.3) {
    const text = JSON.stringify(random() < 0.5 ? telemetry : ready);
    return Buffer.from(`${text.slice(0, int(text.length))}\n`);
  }
  if (pick < 0.45) return line(telemetry);
  if (pick < 0.55) return line({ ...telemetry, params: { ...exampleMetrics, cpu: { percent: 1e9, count: -1 } } });
  if (pick < 0.62) return line({ jsonrpc: "2.0", id: random() < 0.5 ? int(1e6) : `x${int(1e6)}`, result: { pong: true } });
  if (pick < 0.68) return line({ jsonrpc: "2.0", id: int(1e6), error: { code: -1, message: "e".repeat(int(100_000)), data: Array(int(5_000)).fill(0) } });
  if (pick < 0.73) return line(Array.from({ length: 1 + int(50) }, () => telemetry));
  if (pick < 0.78) return line({ jsonrpc: "2.0", method: `evil.${int(1e6)}`, params: { x: "y".repeat(int(10_000)) } });
  if (pick < 0.8) return Buffer.from(`{"jsonrpc":"2.0","method":"telemetry","params":{"x":${"[".repeat(33 + int(5_000))}${"]".repeat(33)}}}\n`);
  if (pick < 0.82) return Buffer.from(`{"jsonrpc":"1.0","x":${"[".repeat(33 + int(20_000))}${"]".repeat(33)}}\n`);
  if (pick < 0.889) return line({ ...ready, params: { ...exampleAgentInfo, capabilities: Array(100).fill("core") } });
  if (pick < 0.89) return line(ready);
  if (pick < 0.92) return Buffer.from("\n".repeat(1 + int(10)));
  if (pick < 0.998) return line({ jsonrpc: "2.0", id: int(100), result: { interfaces: Array(int(1_000)).fill({ name: "x" }) } });
  return [big.batch, big.tenMiB, big.manyDisks, big.deep, big.flat][int(5)]!;
}

const heapAfterGc = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

test(`the host survives ${LINES} hostile lines from one guest (seed ${SEED}), with bounded memory and events`, async (t) => {
  const random = prng(SEED);
  const agent = new ScriptedAgent();
  const clock = { now: 1_000_000 };
  const logged: string[] = [];
  const session = new AgentSession({
    context: 'VM "fuzz" on host "local"',
    open: agent.open,
    guestConnected: () => true,
    now: () => clock.now,
    log: (l) => logged.push(l),
  });
  const seen = { telemetry: 0, statuses: 0 };
  session.on("telemetry", () => seen.telemetry++);
  session.on("status", () => seen.statuses++);
  session.start();
  await session.waitConnected(5_000);
  const big = bigLines();
  const baseline = heapAfterGc();

  let written = 0;
  const calls: Promise<string>[] = [];
  for (let i = 0; i < LINES; i++) {
    const bytes = hostileLine(random, big);
    agent.write(bytes);
    written += bytes.length;
    clock.now += MS_PER_LINE;
    // What the session's timers would see with a real clock: time for a handshake the gap delayed.
    if (i % 100 === 0) session.nudge();
    // The host keeps using the VM meanwhile; each call must settle one way or the other.
    if (i % 500 === 0)
      calls.push(
        session.call("ping", {}, { timeoutMs: 2_000, waitMs: 0 }).then(
          () => "answered",
          (err: Error) => err.message,
        ),
      );
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const outcomes = await Promise.all(calls);

  clock.now += 2_000;
  session.nudge();
  await session.waitConnected(5_000);
  const pong = await session.call("ping").catch((err: Error) => err);
  const retained = heapAfterGc() - baseline;
  const status = session.status();
  await session.stop();

  const seconds = (LINES * MS_PER_LINE + 2_000) / 1_000;
  t.diagnostic(
    `${(written / MiB).toFixed(0)} MiB in ${LINES} lines; passed on ${seen.telemetry} telemetry events and ${seen.statuses} status events; dropped ${status.dropped} invalid and ${status.telemetryDropped} excess telemetry; ${logged.length} log lines; ${status.handshakes} handshakes; heap retained ${(retained / MiB).toFixed(1)} MiB; calls: ${outcomes.filter((o) => o === "answered").length}/${outcomes.length} answered`,
  );
  assert.equal(pong instanceof Error ? pong.message : pong.pong, true, "the session still answers a real call");
  assert.ok(seen.telemetry <= seconds + 1, `${seen.telemetry} telemetry events in ${seconds} s`);
  assert.ok(status.handshakes <= seconds + 1, `${status.handshakes} handshakes in ${seconds} s`);
  assert.ok(seen.statuses <= 4 * (seconds + 2), `${seen.statuses} status events in ${seconds} s`);
  assert.ok(logged.length <= Math.ceil(seconds / 60) + 1, `${logged.length} log lines`);
  assert.ok(status.dropped > LINES / 4, `${status.dropped} dropped`);
  assert.ok(JSON.stringify(status).length < 64 * 1024, "what the status keeps of the guest is bounded");
  assert.ok(retained < 16 * MiB, `${(retained / MiB).toFixed(1)} MiB retained after the flood`);
});

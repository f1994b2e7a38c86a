// Guest channel benchmark: our agent through the hub vs stock qemu-guest-agent through libvirt,
// on one throwaway TCG test guest running both. Prints figures; asserts nothing.
//
//   npx tsx scripts/bench-guest.ts [--pings N] [--mib N] [--idle-s N] [--footprint-only [--node-flags="A B"]…]
//
// Measures: ping round trip (back to back, and spaced out so that each one wakes an idle guest),
// file transfer throughput both ways (ours: file_write/file_read chunks; QGA:
// guest-file-open/write/read/close in 64 KiB chunks — 1 MiB chunks hang qemu-ga), and the
// agent's idle footprint next to a bare node (scripts/bench/agent-footprint.ts; --idle-s, default
// KVMM_BENCH_IDLE_S or 120 s; --footprint-only stops after it, and with --node-flags measures one
// guest boot per flag set, e.g. --node-flags= --node-flags=--jitless; default the packaged unit's).
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { uuidFromString } from "../server/libvirt";
import { closeAllConnections, getConnection } from "../server/libvirt/registry";
import { GuestHub } from "../server/guest/hub";
import { QGA_CHUNK_BYTES, qgaCommand, qgaReadFile, qgaWriteFile } from "../server/guest/qga";
import { bootAgentGuest, packagedNodeFlags } from "../server/guest/testing/agent-guest";
import { downloadFile, sha256, uploadFile, type AgentCaller } from "../server/guest/transfer";
import { FOOTPRINT_BEFORE, formatFootprint, measureFootprint } from "./bench/agent-footprint";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri, type TestDomain } from "../e2e/fixtures/test-host";

const { values } = parseArgs({
  options: {
    pings: { type: "string", default: "200" },
    mib: { type: "string", default: "20" },
    "idle-s": { type: "string", default: process.env.KVMM_BENCH_IDLE_S ?? "120" },
    "footprint-only": { type: "boolean", default: false },
    "node-flags": { type: "string", multiple: true },
  },
});
const PINGS = Number(values.pings);
const SPACED_PINGS = 40;
const WARMUP_PINGS = 300;
const PING_BLOCK = 50;
const MIB = Number(values.mib);
const IDLE_S = Number(values["idle-s"]);
const HOST = "local";
const MiB = 1024 * 1024;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  return `median ${quantile(s, 0.5).toFixed(2)} ms, p90 ${quantile(s, 0.9).toFixed(2)} ms, min ${s[0]!.toFixed(2)} ms (n=${s.length})`;
}

const median = (samples: number[]) =>
  quantile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function timeEach(n: number, fn: () => Promise<unknown>, gapMs = 0): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (gapMs) await sleep(gapMs);
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const mbps = (bytes: number, ms: number) => `${(bytes / MiB / (ms / 1000)).toFixed(2)} MiB/s`;

async function main(): Promise<void> {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  const flagSets = values["footprint-only"] && values["node-flags"] ? values["node-flags"].map((set) => set.split(" ").filter(Boolean)) : [packagedNodeFlags()];
  for (const nodeFlags of flagSets) {
    console.log(`booting a test guest with the KVM Manager agent (node ${nodeFlags.join(" ") || "without flags"}) and qemu-ga (TCG, 1 vCPU, 768 MiB)…`);
    const { guest } = await bootAgentGuest({
      label: "bench",
      qemuGuestAgent: true,
      memoryMiB: 768,
      agentConfig: { telemetry_interval_s: 10 },
      nodeFlags,
    });
    const hub = new GuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
    try {
      await run(guest, hub, nodeFlags);
    } finally {
      await hub.stop();
      await guest.destroy();
    }
  }
  await closeAllConnections();
}

async function run(guest: TestDomain, hub: GuestHub, nodeFlags: readonly string[]): Promise<void> {
  await hub.start();
  await hub.waitForAgent(HOST, guest.uuid, 180_000);
  const conn = getConnection(HOST, libvirtUri());
  const dom = await conn.domainLookupByUuid({ uuid: uuidFromString(guest.uuid) });
  const call: AgentCaller = (method, params, options) => hub.call(HOST, guest.uuid, method, params, options);
  for (let i = 0; ; i++) {
    try {
      await qgaCommand(conn, dom, "guest-ping");
      break;
    } catch (err) {
      if (i > 120) throw err;
      await sleep(1_000);
    }
  }
  const info = hub.status(HOST, guest.uuid)!.agent.info!;
  console.log(
    `agent ${info.version} (protocol ${info.protocol_version}, node ${info.platform.node_version}), transport ${hub.status(HOST, guest.uuid)!.agent.transport}`,
  );
  // The footprint first, while nothing but boot has touched the agent.
  const footprint = await measureFootprint(<T>(execute: string, args?: Record<string, unknown>) => qgaCommand<T>(conn, dom, execute, args), {
    agentPid: info.pid,
    idleS: IDLE_S,
    // The bare and reads-only nodes start now: their first garbage collections stay out of the window.
    settleS: 20,
    nodeFlags,
  });
  console.log(
    `\n${formatFootprint(`busybox test guest (TCG, 1 vCPU, node ${info.platform.node_version} ${nodeFlags.join(" ") || "without flags"})`, footprint, FOOTPRINT_BEFORE.busybox)}`,
  );
  if (values["footprint-only"]) return;

  console.log(`\n== ping round trip (ours: hub ping; qga: guest-ping via libvirt), in alternating blocks of ${PING_BLOCK}`);
  // Blocks, not single pings in turns: host load drifts, so both must sample the same spells of
  // it, but under TCG every switch between the two guest processes flushes the emulated TLB and
  // a ping after one costs the agent with the larger footprint (Node's) up to twice as much: a
  // guest runs one agent, not two taking turns. Steady state: QEMU's translation of the guest's
  // node binary and V8's tiering take a few hundred requests to settle (~2.5 → ~0.7 ms a ping
  // over the agent's first 1,500), so both get a warm-up first.
  const cold = await timeEach(WARMUP_PINGS, () => call("ping"));
  await timeEach(WARMUP_PINGS, () => qgaCommand(conn, dom, "guest-ping"));
  console.log(`ours  first ${WARMUP_PINGS} (warm-up) ${summary(cold)}`);
  const ratios: string[] = [];
  for (const [gapMs, rounds] of [
    [0, PINGS],
    [100, SPACED_PINGS],
    [500, SPACED_PINGS],
  ] as const) {
    const block = gapMs === 0 ? PING_BLOCK : PING_BLOCK / 5;
    const ours: number[] = [];
    const qga: number[] = [];
    for (let done = 0; done < rounds; done += block) {
      ours.push(...(await timeEach(block, () => call("ping"), gapMs)));
      qga.push(...(await timeEach(block, () => qgaCommand(conn, dom, "guest-ping"), gapMs)));
    }
    const label = gapMs === 0 ? "back to back" : `${gapMs} ms apart`;
    console.log(`ours  ${label.padEnd(13)} ${summary(ours)}`);
    console.log(`qga   ${label.padEnd(13)} ${summary(qga)}`);
    ratios.push(`${(median(ours) / median(qga)).toFixed(2)} ${label}`);
  }
  console.log(`ping median ours/qga: ${ratios.join(", ")} (target ≤ 1)`);

  console.log(`\n== file transfer, ${MIB} MiB of random data to /tmp (tmpfs) and back`);
  const data = randomBytes(MIB * MiB);
  const digest = sha256(data);
  const results: Record<string, { up: number; down: number }> = {};
  {
    // Untimed warm-up in both directions for both agents: the first transfer after boot pays for
    // TCG's translation of the file paths (the first timed configuration used to come out lowest).
    const warm = data.subarray(0, 4 * MiB);
    await uploadFile(call, "/tmp/bench-warm.bin", warm);
    await downloadFile(call, "/tmp/bench-warm.bin");
    await qgaWriteFile(conn, dom, "/tmp/bench-warm.bin", warm, QGA_CHUNK_BYTES);
    await qgaReadFile(conn, dom, "/tmp/bench-warm.bin", QGA_CHUNK_BYTES);
    await call("exec_command", { command: "rm", args: ["-f", "/tmp/bench-warm.bin"] });
  }
  const configs: [string, number, number][] = [
    ["ours 1 MiB chunks, 1 in flight", MiB, 1],
    ["ours 4 MiB chunks, 1 in flight", 4 * MiB, 1],
    ["ours 1 MiB chunks, 2 in flight", MiB, 2],
    ["ours 1 MiB chunks, 4 in flight", MiB, 4],
    ["ours 256 KiB chunks, 4 in flight", 256 * 1024, 4],
    ["ours 2 MiB chunks, 2 in flight", 2 * MiB, 2],
  ];
  for (const [label, chunkBytes, window] of configs) {
    const path = "/tmp/bench-ours.bin";
    // Timed without the agent's SHA-256 pass, like the qemu-ga figures; the data is checked right after.
    const up = await timed(() => uploadFile(call, path, data, { chunkBytes, window, verify: false }));
    const stat = await call("file_stat", { path, sha256: true });
    const down = await timed(() => downloadFile(call, path, { chunkBytes, window, verify: false }));
    if (stat.sha256 !== digest || down.value.sha256 !== digest) throw new Error(`${label}: SHA-256 mismatch`);
    await call("exec_command", { command: "rm", args: ["-f", path] });
    results[label] = { up: up.ms, down: down.ms };
    console.log(`${label.padEnd(34)} upload ${mbps(data.length, up.ms)}, download ${mbps(data.length, down.ms)} (SHA-256 checked)`);
  }
  {
    const path = "/tmp/bench-qga.bin";
    const up = await timed(() => qgaWriteFile(conn, dom, path, data, QGA_CHUNK_BYTES));
    const stat = await timed(() => call("file_stat", { path, sha256: true }));
    if (stat.value.sha256 !== digest) throw new Error("qga upload: SHA-256 mismatch");
    const down = await timed(() => qgaReadFile(conn, dom, path, QGA_CHUNK_BYTES));
    if (sha256(down.value) !== digest) throw new Error("qga download: SHA-256 mismatch");
    await call("exec_command", { command: "rm", args: ["-f", path] });
    results.qga = { up: up.ms, down: down.ms };
    console.log(`${"qga 64 KiB chunks".padEnd(34)} upload ${mbps(data.length, up.ms)}, download ${mbps(data.length, down.ms)} (SHA-256 checked)`);
    console.log(
      `verification pass (agent file_stat sha256 over ${MIB} MiB, in the guest): ${stat.ms.toFixed(0)} ms — add it once per direction for uploadFile/downloadFile's default verify`,
    );
  }
  const ratio = (label: string) => ({ up: results.qga!.up / results[label]!.up, down: results.qga!.down / results[label]!.down });
  const best = Object.keys(results)
    .filter((k) => k !== "qga")
    .reduce((a, b) => (results[a]!.up + results[a]!.down <= results[b]!.up + results[b]!.down ? a : b));
  const r = ratio(best);
  console.log(`best of ours (${best}) vs qga: upload ×${r.up.toFixed(1)}, download ×${r.down.toFixed(1)} (target ≥ 3)`);
  const d = ratio(`ours ${1} MiB chunks, 2 in flight`);
  console.log(`transfer helpers' default (1 MiB, 2 in flight) vs qga: upload ×${d.up.toFixed(1)}, download ×${d.down.toFixed(1)}`);
}

main().catch((err: unknown) => {
  console.error("bench-guest failed:", err);
  process.exitCode = 1;
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { VIR_CPU_COMPARE_IDENTICAL, VIR_CPU_COMPARE_INCOMPATIBLE, virDomainState } from "@/server/libvirt";
import { migrationOptionsSchema } from "./contract";
import { combine, error, judgeCpu, judgeMemory, judgeName, judgeState, ok, summarize, warning } from "./preflight-checks";

const n = { vm: 'VM "web-1" on host "local"', source: 'host "local"', dest: 'host "b"' };
const defaults = migrationOptionsSchema.parse({ destHostId: "b" });
const MiB = 1024 * 1024;

test("state: running and paused move live, shut off offline (kept on the destination, disks not copied), anything else is refused", () => {
  assert.equal(judgeState(n, virDomainState.RUNNING, defaults).sourceState, "running");
  assert.deepEqual(judgeState(n, virDomainState.PAUSED, defaults), {
    sourceState: "paused",
    finding: ok('It is paused: it moves live and stays paused on host "b".'),
  });
  assert.equal(judgeState(n, virDomainState.SHUTOFF, defaults).finding.status, "ok");
  assert.deepEqual(judgeState(n, virDomainState.SHUTOFF, { ...defaults, persistDest: false }).finding.status, "error");
  assert.match(judgeState(n, virDomainState.SHUTOFF, { ...defaults, copyStorage: "full" }).finding.message, /copies storage only while the VM runs/);
  assert.deepEqual(judgeState(n, virDomainState.CRASHED, defaults), {
    sourceState: null,
    finding: error('VM "web-1" on host "local" is crashed: only a running, paused or shut-off VM can move.'),
  });
});

test("memory: the destination's free memory against what the VM uses, in MiB, naming both", () => {
  assert.deepEqual(
    judgeMemory(n, true, { needKiB: 1024 * 1024, freeBytes: BigInt(812 * MiB) }),
    error('host "b" has 812 MiB free; VM "web-1" on host "local" needs 1024 MiB.'),
  );
  assert.equal(judgeMemory(n, true, { needKiB: 512 * 1024, freeBytes: BigInt(812 * MiB) }).status, "ok");
  assert.equal(judgeMemory(n, false, { needKiB: 1024 * 1024, freeBytes: 0n }).status, "ok");
});

test("cpu: QEMU's default model passes, a named model is as the destination compared it, host-passthrough is a warning that says why", () => {
  const cpu = { domainType: "qemu", mode: "custom", model: "Haswell", compared: VIR_CPU_COMPARE_IDENTICAL as number | Error | null };
  assert.deepEqual(judgeCpu(n, cpu), ok(`host "b" can offer VM "web-1" on host "local"'s CPU model Haswell under emulation (TCG).`));
  assert.equal(judgeCpu(n, { ...cpu, compared: VIR_CPU_COMPARE_INCOMPATIBLE }).status, "error");
  assert.equal(judgeCpu(n, { ...cpu, compared: new Error("unsupported") }).status, "warning");
  assert.equal(judgeCpu(n, { ...cpu, model: null, compared: null }).status, "ok");
  const passthrough = judgeCpu(n, { ...cpu, domainType: "kvm", mode: "host-passthrough", model: null });
  assert.equal(passthrough.status, "warning");
  assert.match(passthrough.message, /sees host "local"'s own CPU, which libvirt cannot compare/);
});

test("name: a clash by name or UUID is refused; the VM's own shut-off definition left on the destination is replaced", () => {
  const uuid = "6f1c0d3e-0000-4000-8000-000000000001";
  assert.equal(judgeName(n, "web-1", { uuid, byName: null, byUuid: null }).status, "ok");
  assert.deepEqual(
    judgeName(n, "web-1", { uuid, byName: { uuid: "other", running: false }, byUuid: null }),
    error('host "b" already has a VM named "web-1": rename one of them first.'),
  );
  assert.equal(judgeName(n, "web-1", { uuid, byName: null, byUuid: { name: "web-2", running: true } }).status, "error");
  assert.equal(judgeName(n, "web-1", { uuid, byName: { uuid, running: false }, byUuid: { name: "web-1", running: false } }).status, "warning");
});

test("a check is as bad as its worst finding; the result lists every check in order and is ok without errors", () => {
  assert.deepEqual(combine("storage", [ok("a."), warning("b."), ok("c.")]), { id: "storage", status: "warning", message: "a. b. c." });
  const partial = summarize(true, { destination: combine("destination", [error('host "b" cannot be reached: timeout.')]) }, 'host "b" cannot be reached');
  assert.deepEqual(
    partial.checks.map((c) => [c.id, c.status]),
    [
      ["destination", "error"],
      ["state", "warning"],
      ["name", "warning"],
      ["cpu", "warning"],
      ["memory", "warning"],
      ["storage", "warning"],
      ["network", "warning"],
    ],
  );
  assert.equal(partial.checks[1]!.message, 'Not checked: host "b" cannot be reached.');
  assert.equal(partial.ok, false);
});

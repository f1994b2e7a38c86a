import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "@/agent/protocol";
import type { MethodResult } from "@/agent/protocol/methods";
import type { GuestStatus } from "./hub";
import { onlineHotplugged, type HotplugHub, type HotplugTiming } from "./hotplug";
import type { GuestVm } from "./service";

type Answer = MethodResult<"online_hotplugged">;

function status(agent: string[] | "disconnected"): GuestStatus {
  const connected = Array.isArray(agent);
  return {
    hostId: "local",
    uuid: "u-1",
    name: "web-1",
    running: true,
    agent: {
      state: connected ? "connected" : "disconnected",
      since: "",
      transport: null,
      info: connected ? ({ capabilities: agent } as never) : null,
      telemetry: null,
      telemetryAt: null,
      lastError: null,
      handshakes: 0,
      dropped: 0,
      telemetryDropped: 0,
      channel: true,
    },
    qga: { channel: true, connected: false },
  };
}

const vm = { hostId: "local", conn: {}, dom: { name: "web-1" }, context: 'VM "web-1" on host "local"' } as unknown as GuestVm;

function answer(partial: Partial<Answer>): Answer {
  return { cpus_onlined: [], memory_onlined: [], failed: [], cpus_online: 2, memory_blocks_online: 8, memory_block_bytes: 134217728, ...partial };
}

/** A hub whose agent gives `answers` in turn (the last one again after), and a clock that sleeps instantly. */
function fixture(s: GuestStatus, answers: Array<Answer | Error>) {
  const calls: string[] = [];
  const hub: HotplugHub = {
    track: async () => s,
    call: (async (_host: string, _uuid: string, method: string) => {
      calls.push(method);
      const next = answers[Math.min(calls.length - 1, answers.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    }) as never,
  };
  let now = 0;
  const timing: HotplugTiming = { timeoutMs: 5_000, intervalMs: 500, now: () => now, sleep: async (ms) => void (now += ms) };
  return { hub, calls, timing };
}

describe("onlineHotplugged (after a live vCPU change)", () => {
  it("asks the agent again until the guest's kernel has seen the new vCPU, and reports what it onlined", async () => {
    // The ACPI notification is handled after the first call: cpu2 appears only then.
    const f = fixture(status(["core", "hotplug.online"]), [answer({ cpus_online: 2 }), answer({ cpus_onlined: [2], cpus_online: 3 })]);
    assert.deepEqual(await onlineHotplugged(vm, { vcpus: 3 }, f.hub, f.timing), { state: "online", cpusOnline: 3, cpusOnlined: [2], memoryOnlined: [] });
    assert.deepEqual(f.calls, ["online_hotplugged", "online_hotplugged"]);
  });

  it("stops at the deadline and says how many vCPUs the guest has online", async () => {
    const f = fixture(status(["core", "hotplug.online"]), [answer({ cpus_online: 2 })]);
    assert.deepEqual(await onlineHotplugged(vm, { vcpus: 3 }, f.hub, f.timing), {
      state: "partial",
      cpusOnline: 2,
      cpusOnlined: [],
      memoryOnlined: [],
      reason: "the guest has 2 of 3 vCPUs online after 5 s",
    });
    assert.equal(f.calls.length, 11, "every 500 ms for 5 s, and once at the start");
  });

  it("reports the devices the guest's kernel refused", async () => {
    const f = fixture(status(["core", "hotplug.online"]), [answer({ cpus_online: 2, failed: [{ device: "cpu2", error: "EIO: i/o error, write" }] })]);
    const report = await onlineHotplugged(vm, { vcpus: 3 }, f.hub, f.timing);
    assert.equal(report.state, "partial");
    assert.equal("reason" in report && report.reason, "the guest refused: cpu2 (EIO: i/o error, write)");
  });

  it("asks nothing without a connected agent that offers hotplug.online, or without a hub; an agent error is a failed report, not a throw", async () => {
    const none = fixture(status("disconnected"), []);
    assert.deepEqual(await onlineHotplugged(vm, { vcpus: 3 }, none.hub, none.timing), { state: "skipped", reason: "the KVM Manager agent is not connected" });
    const old = fixture(status(["core"]), []);
    assert.equal((await onlineHotplugged(vm, { vcpus: 3 }, old.hub, old.timing)).state, "skipped");
    assert.deepEqual(none.calls.concat(old.calls), []);
    assert.deepEqual(await onlineHotplugged(vm, { vcpus: 3 }, null), { state: "skipped", reason: "this process runs no guest hub" });
    const broken = fixture(status(["core", "hotplug.online"]), [
      new RpcError(ErrorCode.PermissionDenied, "online_hotplugged_enabled is false in the agent config"),
    ]);
    const report = await onlineHotplugged(vm, { vcpus: 3 }, broken.hub, broken.timing);
    assert.equal(report.state, "failed");
    assert.match("reason" in report ? report.reason : "", /online_hotplugged_enabled is false/);
  });
});

describe("onlineHotplugged (after a memory module was plugged in)", () => {
  const blocks = (online: number, onlined: number[] = []) => answer({ memory_blocks_online: online, memory_onlined: onlined });

  it("asks again until the guest's online blocks hold the VM's new memory, and reports the blocks it onlined", async () => {
    // 512 MiB at boot (4 blocks of 128 MiB) plus a 128 MiB module: the kernel adds block 32 after the first call.
    const f = fixture(status(["core", "hotplug.online"]), [blocks(4), blocks(5, [32])]);
    assert.deepEqual(await onlineHotplugged(vm, { vcpus: 2, memoryKiB: 640 * 1024 }, f.hub, f.timing), {
      state: "online",
      cpusOnline: 2,
      cpusOnlined: [],
      memoryOnlined: [32],
    });
    assert.equal(f.calls.length, 2);
  });

  it("is satisfied less than a block short (a size that is not whole blocks), and says the figures at the deadline", async () => {
    const near = fixture(status(["core", "hotplug.online"]), [blocks(5)]);
    assert.equal((await onlineHotplugged(vm, { vcpus: 2, memoryKiB: 700 * 1024 }, near.hub, near.timing)).state, "online");
    const short = fixture(status(["core", "hotplug.online"]), [blocks(4)]);
    const report = await onlineHotplugged(vm, { vcpus: 2, memoryKiB: 640 * 1024 }, short.hub, short.timing);
    assert.equal("reason" in report && report.reason, "the guest has 512 MiB of 640 MiB online after 5 s");
  });

  it("does not wait for a guest whose kernel shows no memory blocks, and says why", async () => {
    const f = fixture(status(["core", "hotplug.online"]), [answer({ memory_blocks_online: 0, memory_block_bytes: null })]);
    const report = await onlineHotplugged(vm, { vcpus: 2, memoryKiB: 640 * 1024 }, f.hub, f.timing);
    assert.equal(f.calls.length, 1);
    assert.equal("reason" in report && report.reason, "the guest shows no memory blocks (its kernel has no memory hot-plug)");
  });
});

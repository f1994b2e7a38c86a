import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "@/agent/protocol";
import type { GuestHub, GuestStatus } from "./hub";
import { agentThawSeconds, quiesce } from "./quiesce";
import type { GuestVm } from "./service";

type Calls = string[];

function status(over: { running?: boolean; agent?: "connected" | "disconnected"; capabilities?: string[]; qga?: boolean } = {}): GuestStatus {
  return {
    hostId: "local",
    uuid: "0f6d7c1a-3b2e-4c59-9a4e-8f1b2c3d4e5f",
    name: "web-1",
    running: over.running ?? true,
    agent: {
      channel: true,
      state: over.agent ?? "connected",
      info: over.capabilities ? ({ capabilities: over.capabilities, version: "0.1.0", platform: { os: "linux" } } as never) : null,
    } as GuestStatus["agent"],
    qga: { channel: over.qga ?? false, connected: over.qga ?? false },
  };
}

function fakes(current: GuestStatus, agent: { freeze?: () => unknown; thaw?: () => unknown } = {}, qga: { freeze?: () => Promise<number> } = {}) {
  const calls: Calls = [];
  const hub = {
    track: async () => current,
    call: async (_host: string, _uuid: string, method: string, params: unknown) => {
      calls.push(`agent ${method} ${JSON.stringify(params)}`);
      if (method === "fs_freeze") return (agent.freeze ?? (() => ({ frozen: ["/srv", "/"], frozen_at: "", auto_thaw_at: "" })))();
      return (agent.thaw ?? (() => ({ thawed: ["/", "/srv"], failed: [], auto_thawed_at: null })))();
    },
  } as unknown as GuestHub;
  const vm = {
    hostId: "local",
    context: 'VM "web-1" on host "local"',
    dom: {},
    conn: {
      domainFsfreeze: async () => {
        calls.push("libvirt domainFsfreeze");
        return (qga.freeze ?? (async () => 3))();
      },
      domainFsthaw: async () => {
        calls.push("libvirt domainFsthaw");
        return 3;
      },
    },
  } as unknown as GuestVm;
  return { hub, vm, calls };
}

describe("quiesce", () => {
  it("freezes through our agent with the timeout in seconds, and thaws once however often thaw() is called", async () => {
    const { hub, vm, calls } = fakes(status({ capabilities: ["core", "fs.freeze"], qga: true }));
    const result = await quiesce(vm, { timeoutMs: 90_500 }, hub);
    assert.equal(result.method, "kvmm-agent");
    assert.deepEqual(result.frozen, ["/srv", "/"]);
    assert.equal(result.reason, null);
    await Promise.all([result.thaw(), result.thaw()]);
    await result.thaw();
    assert.deepEqual(calls, ['agent fs_freeze {"timeout_s":91}', "agent fs_thaw {}"]);
  });

  it("uses qemu-guest-agent through libvirt when our agent cannot freeze (no fs.freeze capability)", async () => {
    const { hub, vm, calls } = fakes(status({ capabilities: ["core"], qga: true }));
    const result = await quiesce(vm, { timeoutMs: 60_000 }, hub);
    assert.equal(result.method, "qemu-ga");
    assert.deepEqual(result.frozen, ["3 filesystems"]);
    await result.thaw();
    assert.deepEqual(calls, ["libvirt domainFsfreeze", "libvirt domainFsthaw"]);
  });

  it("falls back to qemu-guest-agent when our agent's freeze fails, and asks our agent to thaw in case it froze", async () => {
    const failing = () => Promise.reject(new RpcError(ErrorCode.IoError, "fs_freeze: /srv: Operation not supported"));
    const { hub, vm, calls } = fakes(status({ capabilities: ["fs.freeze"], qga: true }), { freeze: failing });
    const result = await quiesce(vm, { timeoutMs: 60_000 }, hub);
    assert.equal(result.method, "qemu-ga");
    assert.deepEqual(calls, ['agent fs_freeze {"timeout_s":60}', "agent fs_thaw {}", "libvirt domainFsfreeze"]);
  });

  it('is "none" with every reason when no agent can freeze, and never throws', async () => {
    const agentFails = () => Promise.reject(new RpcError(ErrorCode.Conflict, "fs_freeze: / already frozen"));
    const qgaFails = () => Promise.reject(new Error("Guest agent is not responding"));
    const { hub, vm } = fakes(status({ capabilities: ["fs.freeze"], qga: true }), { freeze: agentFails }, { freeze: qgaFails });
    const result = await quiesce(vm, { timeoutMs: 60_000 }, hub);
    assert.equal(result.method, "none");
    assert.equal(
      result.reason,
      "the KVM Manager agent could not freeze: fs_freeze: / already frozen; qemu-guest-agent could not freeze: Guest agent is not responding",
    );
    await result.thaw();
  });

  it('is "none" without any agent, and for a VM that is not running', async () => {
    const none = fakes(status({ agent: "disconnected" }));
    assert.equal(
      (await quiesce(none.vm, { timeoutMs: 1000 }, none.hub)).reason,
      "no guest agent is connected (neither the KVM Manager agent nor qemu-guest-agent)",
    );
    const stopped = fakes(status({ running: false, capabilities: ["fs.freeze"] }));
    assert.equal((await quiesce(stopped.vm, { timeoutMs: 1000 }, stopped.hub)).reason, "the VM is not running");
    assert.deepEqual([...none.calls, ...stopped.calls], []);
  });

  it('is "none" when our agent found nothing to freeze', async () => {
    const { hub, vm } = fakes(status({ capabilities: ["fs.freeze"] }), { freeze: () => ({ frozen: [], frozen_at: "", auto_thaw_at: null }) });
    const result = await quiesce(vm, { timeoutMs: 60_000 }, hub);
    assert.equal(result.method, "none");
    assert.equal(result.reason, "the KVM Manager agent found no writable filesystem on a disk to freeze");
  });

  it("keeps the agent's timeout within 1–600 s", () => {
    assert.deepEqual([agentThawSeconds(0), agentThawSeconds(1), agentThawSeconds(1001), agentThawSeconds(3_600_000)], [1, 1, 2, 600]);
  });
});

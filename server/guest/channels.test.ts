import assert from "node:assert/strict";
import { test } from "node:test";
import { libvirtError } from "../libvirt/testing/errors";
import { VIR_ERR_AGENT_UNRESPONSIVE } from "../libvirt";
import { ServiceError } from "../errors";
import { ErrorCode, RpcError } from "@/agent/protocol";
import { AGENT_CHANNEL, QGA_CHANNEL } from "../domains/xml";
import { channelTransport, guestChannels, isLocalUri } from "./channels";
import { GuestError, toServiceError } from "./errors";

test("the agent and qemu-ga channels are found by name", () => {
  const agent = { type: "unix", name: AGENT_CHANNEL, path: "/run/a.sock", state: "connected" };
  const qga = { type: "unix", name: QGA_CHANNEL, path: "/run/q.sock", state: "disconnected" };
  assert.deepEqual(guestChannels([{ type: "spicevmc", name: "com.redhat.spice.0", path: null, state: null }, qga, agent]), { agent, qga });
  assert.deepEqual(guestChannels([]), { agent: null, qga: null });
});

test("local hosts use the channel socket, remote ones a libvirt stream", () => {
  const unix = { type: "unix", path: "/run/a.sock" };
  assert.ok(isLocalUri("qemu:///system"));
  assert.ok(!isLocalUri("qemu+ssh://root@kvm2/system"));
  assert.ok(!isLocalUri("qemu+tls://kvm2/system"));
  assert.equal(channelTransport("qemu:///system", "auto", unix), "socket");
  assert.equal(channelTransport("qemu:///system", "auto", { type: "unix", path: null }), "stream");
  assert.equal(channelTransport("qemu+ssh://kvm2/system", "auto", unix), "stream");
  assert.equal(channelTransport("qemu:///system", "stream", unix), "stream");
});

test("hub and agent failures become ServiceErrors that name the VM", () => {
  const ctx = 'VM "web-1" on host "local"';
  const cases: [unknown, string][] = [
    [new GuestError("not_connected", "the guest agent is not connected"), "unavailable"],
    [new GuestError("no_channel", "no channel"), "conflict"],
    [new RpcError(ErrorCode.PathNotAllowed, "file_read: /etc/shadow is outside the allowed paths"), "forbidden"],
    [new RpcError(ErrorCode.NotFound, "file_stat: no such file"), "not_found"],
    [new RpcError(ErrorCode.Timeout, "exec_command: no answer within 100 ms"), "unavailable"],
    [libvirtError(VIR_ERR_AGENT_UNRESPONSIVE, "Guest agent is not responding"), "unavailable"],
  ];
  for (const [err, kind] of cases) {
    const mapped = toServiceError(ctx, err);
    assert.ok(mapped instanceof ServiceError);
    assert.equal(mapped.kind, kind, String(err));
    assert.ok(mapped.message.startsWith(`${ctx}: `), mapped.message);
  }
  assert.match(toServiceError(ctx, new RpcError(ErrorCode.NotFound, "file_stat: no such file")).message, /guest agent: file_stat: no such file$/);
});

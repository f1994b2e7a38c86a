import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RpcError, ErrorCode } from "@/agent/protocol";
import { createCaller } from "@/server/api/root";
import { setPasswordInput } from "@/server/api/routers/guest";
import type { Db } from "@/server/db/client";
import { auditLog } from "@/server/db/schema";
import { ServiceError } from "@/server/errors";
import { addUser, tempDatabase } from "@/server/testing/test-db";
import { guestSetPassword, syncGuestTime, syncGuestTimeAfter, type AdminHub } from "./admin";
import { GuestError } from "./errors";
import type { GuestStatus } from "./hub";
import type { GuestVm } from "./service";

const SECRET = "Tr0ub4dor&3-never-logged";
const NOW = Date.UTC(2026, 10, 28, 5, 30, 0, 125);

function status(options: { agent?: string[] | "disconnected"; qga?: boolean; running?: boolean }): GuestStatus {
  const connected = Array.isArray(options.agent);
  return {
    hostId: "local",
    uuid: "u-1",
    name: "web-1",
    running: options.running ?? true,
    agent: {
      state: connected ? "connected" : "disconnected",
      since: "",
      transport: null,
      info: connected ? ({ capabilities: options.agent } as never) : null,
      telemetry: null,
      telemetryAt: null,
      lastError: null,
      handshakes: 0,
      dropped: 0,
      telemetryDropped: 0,
      channel: true,
    },
    qga: { channel: true, connected: options.qga ?? false },
  };
}

/** A hub whose agent answers `answer` (or throws it) and a connection recording libvirt's calls. */
function fixture(s: GuestStatus, answer: unknown = {}) {
  const calls: Array<[string, unknown]> = [];
  const hub: AdminHub = {
    track: async () => s,
    call: (async (_host: string, _uuid: string, method: string, params: unknown) => {
      calls.push([method, params]);
      if (answer instanceof Error) throw answer;
      return answer;
    }) as never,
  };
  const conn = {
    domainSetUserPassword: async (args: unknown) => void calls.push(["domainSetUserPassword", args]),
    domainSetTime: async (args: unknown) => void calls.push(["domainSetTime", args]),
  };
  const vm = { hostId: "local", conn, dom: { name: "web-1" }, context: 'VM "web-1" on host "local"' } as unknown as GuestVm;
  return { hub, vm, calls };
}

describe("guestSetPassword", () => {
  const input = { user: "deploy", password: SECRET, crypted: false };

  it("goes to our agent when it announces user.password, else to qemu-guest-agent (crypted → the ENCRYPTED flag)", async () => {
    const ours = fixture(status({ agent: ["core", "user.password"], qga: true }));
    assert.deepEqual(await guestSetPassword(ours.vm, input, ours.hub), { via: "agent" });
    assert.deepEqual(ours.calls, [["set_user_password", { username: "deploy", password: SECRET, crypted: false }]]);
    const qga = fixture(status({ agent: ["core"], qga: true }));
    assert.deepEqual(await guestSetPassword(qga.vm, { ...input, password: "$6$s$h", crypted: true }, qga.hub), { via: "qga" });
    assert.deepEqual(qga.calls, [["domainSetUserPassword", { dom: { name: "web-1" }, user: "deploy", password: "$6$s$h", flags: 1 }]]);
  });

  it("with neither, refuses in plain words naming the VM, the user and the agent's config switch", async () => {
    const { vm, hub } = fixture(status({ agent: ["core"], qga: false }));
    await assert.rejects(guestSetPassword(vm, input, hub), (err: ServiceError) => {
      assert.equal(err.kind, "conflict");
      assert.equal(
        err.message,
        'VM "web-1" on host "local": cannot set the password of "deploy": the KVM Manager agent has set_user_password switched off (set_user_password_enabled in /etc/kvmmanager-agent/config.json), and qemu-guest-agent is not connected',
      );
      return true;
    });
  });

  it("an agent error quoting the password reaches the caller without it (nor its cause)", async () => {
    const { vm, hub } = fixture(status({ agent: ["user.password"] }), new RpcError(ErrorCode.IoError, `chpasswd failed: ${SECRET}`));
    await assert.rejects(guestSetPassword(vm, input, hub), (err: Error) => {
      assert.match(err.message, /^VM "web-1" on host "local": guest agent: chpasswd failed: \[redacted\]$/);
      assert.equal(err.cause, undefined);
      return true;
    });
  });
});

describe("syncGuestTime", () => {
  it("our agent gets the host's time and answers the offset it corrected", async () => {
    const { vm, hub, calls } = fixture(status({ agent: ["time.sync"], qga: true }), { offset_ms: 3_600_000, method: "date" });
    assert.deepEqual(await syncGuestTime(vm, hub, () => NOW), { via: "agent", offsetMs: 3_600_000 });
    assert.deepEqual(calls, [["sync_time", { time_ms: NOW }]]);
  });

  it("without it, or when it fails, qemu-guest-agent gets the host's time in seconds and nanoseconds", async () => {
    const { vm, hub, calls } = fixture(status({ agent: ["time.sync"], qga: true }), new GuestError("not_connected", "gone"));
    assert.deepEqual(await syncGuestTime(vm, hub, () => NOW), { via: "qga", offsetMs: null });
    assert.deepEqual(calls[1], ["domainSetTime", { dom: { name: "web-1" }, seconds: BigInt(Math.floor(NOW / 1000)), nseconds: 125_000_000, flags: 0 }]);
  });

  it("after a resume: a failure is logged naming the VM and never rejects; a guest without agents is left alone quietly", async () => {
    const lines: string[] = [];
    const failing = fixture(status({ agent: ["time.sync"] }), new RpcError(ErrorCode.PermissionDenied, "date -s failed (exit 1): Operation not permitted"));
    await syncGuestTimeAfter(failing.vm, "resume", failing.hub, (line) => lines.push(line));
    const quiet = fixture(status({ agent: "disconnected" }));
    await syncGuestTimeAfter(quiet.vm, "resume", quiet.hub, (line) => lines.push(line));
    const broken: AdminHub = { track: () => Promise.reject(new Error("host unreachable")), call: quiet.hub.call };
    await syncGuestTimeAfter(quiet.vm, "resume", broken, (line) => lines.push(line));
    assert.deepEqual(lines, [
      'VM "web-1" on host "local": clock not synced after resume: the KVM Manager agent could not: date -s failed (exit 1): Operation not permitted',
      'VM "web-1" on host "local": clock not synced after resume: host unreachable',
    ]);
    assert.equal(await syncGuestTimeAfter(quiet.vm, "resume", null), undefined, "a process without a hub does nothing");
  });
});

describe("guest.setPassword input", () => {
  it("refuses what chpasswd and guest-set-user-password would misread, and a non-hash with crypted, without quoting the password", () => {
    const refused = (input: object) => {
      const result = setPasswordInput.safeParse({ hostId: "local", uuid: "u", ...input });
      assert.equal(result.success, false, JSON.stringify(input));
      return result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    };
    assert.equal(refused({ user: "deploy", password: `${SECRET}:0` }), "password: must not contain ':', a line break or NUL");
    assert.equal(refused({ user: "deploy", password: `${SECRET}\nroot:x` }), "password: must not contain ':', a line break or NUL");
    assert.match(refused({ user: "root:0", password: SECRET }), /^user: must be a Linux user name/);
    assert.match(refused({ user: "deploy", password: "" }), /^password: a password/);
    assert.equal(refused({ user: "deploy", password: SECRET, crypted: true }), "password: a crypt(3) hash such as $6$salt$hash");
    assert.ok(setPasswordInput.safeParse({ user: "deploy", password: SECRET }).success);
  });
});

describe("guest.setPassword audit rows", () => {
  let db: Db;
  let cleanup: () => void;
  before(() => ({ db, cleanup } = tempDatabase()));
  after(() => cleanup());

  it("name the VM and the user and never hold the password: failed calls, a refused role", async () => {
    const operator = createCaller({ db, user: await addUser(db, "otto", "operator"), clientIp: "192.0.2.7" });
    const viewer = createCaller({ db, user: await addUser(db, "vera", "viewer"), clientIp: "192.0.2.8" });
    const vm = { hostId: "nowhere", uuid: "00000000-0000-4000-8000-000000000001" };
    await assert.rejects(operator.guest.setPassword({ ...vm, user: "deploy", password: SECRET }));
    // The VM is resolved before the rest of the input is checked; its row holds the input as sent.
    await assert.rejects(operator.guest.setPassword({ ...vm, user: "deploy", password: `${SECRET}:0:0` }), /host "nowhere" does not exist/);
    await assert.rejects(viewer.guest.setPassword({ ...vm, user: "deploy", password: SECRET }), /needs guest.exec/);
    const rows = db.select().from(auditLog).all();
    assert.deepEqual(
      rows.map((r) => [r.action, r.result]),
      [
        ["guest.setPassword", "error"],
        ["guest.setPassword", "error"],
        ["guest.setPassword", "denied"],
      ],
    );
    assert.equal(rows[0]!.target, `VM ${vm.uuid} on host "nowhere"`, "the VM is named (it was never resolved, so by id)");
    for (const row of rows) {
      assert.match(row.input ?? "", /"user":"deploy","password":"\[redacted\]"/);
      assert.ok(!JSON.stringify(row).includes(SECRET.slice(0, 10)), JSON.stringify(row));
    }
  });
});

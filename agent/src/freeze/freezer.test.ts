import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../protocol/errors";
import { methods } from "../../protocol/methods";
import { fsFreezeFailureData } from "../../protocol/schemas/freeze";
import { Logger, type LogSink, type Severity } from "../log";
import { Freezer, type FreezeClock } from "./freezer";
import { mountsToFreeze, parseMountInfo } from "./mounts";

// A guest like the test guest plus the usual suspects: the initramfs' rootfs, pseudo filesystems,
// an ext4 root and data disk, a read-only mount, NFS, a bind mount of the data disk, an
// overmounted mount point and a name with a space.
const MOUNTINFO = [
  "1 1 0:2 / / rw - rootfs rootfs rw",
  "20 1 0:20 / /proc rw,nosuid - proc proc rw",
  "21 1 0:5 / /dev rw - devtmpfs devtmpfs rw,size=4k",
  "22 1 0:21 / /tmp rw - tmpfs tmpfs rw",
  "23 1 254:1 / /srv rw,relatime - ext4 /dev/vda1 rw",
  "24 23 254:16 / /srv/data rw,relatime - ext4 /dev/vdb rw",
  "25 1 254:32 / /mnt/iso ro,relatime - ext4 /dev/vdc ro",
  "26 1 0:40 / /mnt/nfs rw - nfs4 server:/export rw",
  "27 1 254:16 / /mnt/data-bind rw,relatime - ext4 /dev/vdb rw",
  "28 1 254:48 / /mnt/hidden rw - xfs /dev/vdd rw",
  "29 1 0:22 / /mnt/hidden rw - tmpfs tmpfs rw",
  "30 1 254:64 / /mnt/my\\040disk rw - xfs /dev/vde rw",
  "",
].join("\n");

class FakeClock implements FreezeClock {
  time = Date.parse("2025-01-01T12:00:00.000Z");
  private timers = new Map<number, { at: number; action: () => void }>();
  private next = 1;
  now = () => new Date(this.time);
  setTimer = (action: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, action });
    return id;
  };
  clearTimer = (timer: unknown) => void this.timers.delete(timer as number);
  pending = () => this.timers.size;
  /** Moves time forward and fires the timers that came due. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.timers]) {
      if (timer.at > this.time) continue;
      this.timers.delete(id);
      timer.action();
    }
  }
}

class MemorySink implements LogSink {
  lines: string[] = [];
  write(severity: Severity, message: string): void {
    this.lines.push(`${severity} ${message}`);
  }
}

function setup(failing: Record<string, string> = {}) {
  const calls: string[] = [];
  const clock = new FakeClock();
  const sink = new MemorySink();
  const freezer = new Freezer({
    readMountInfo: async () => MOUNTINFO,
    run: async (action, mount) => {
      calls.push(`${action} ${mount}`);
      return failing[`${action} ${mount}`] ?? null;
    },
    clock,
    log: new Logger("info", sink),
  });
  return { freezer, calls, clock, sink };
}

/** Lets the promise chain of a timer-started thaw finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("mounts to freeze", () => {
  it("keeps writable block-device filesystems in mount order, once each, only where visible", () => {
    assert.deepEqual(mountsToFreeze(parseMountInfo(MOUNTINFO)), ["/srv", "/srv/data", "/mnt/my disk"]);
  });
});

describe("Freezer", () => {
  it("freezes in reverse mount order, thaws in mount order, and answers within the protocol's schemas", async () => {
    const { freezer, calls } = setup();
    const frozen = await freezer.freeze(30);
    assert.deepEqual(frozen, {
      frozen: ["/mnt/my disk", "/srv/data", "/srv"],
      frozen_at: "2025-01-01T12:00:00.000Z",
      auto_thaw_at: "2025-01-01T12:00:30.000Z",
    });
    methods.fs_freeze.result.parse(frozen);
    methods.fs_freeze_status.result.parse(freezer.status());
    assert.equal(freezer.status().frozen, true);
    const thawed = await freezer.thaw();
    assert.deepEqual(thawed, { thawed: ["/srv", "/srv/data", "/mnt/my disk"], failed: [], auto_thawed_at: null });
    methods.fs_thaw.result.parse(thawed);
    assert.deepEqual(calls, ["freeze /mnt/my disk", "freeze /srv/data", "freeze /srv", "unfreeze /srv", "unfreeze /srv/data", "unfreeze /mnt/my disk"]);
    assert.equal(freezer.status().frozen, false);
  });

  it("refuses a second fs_freeze while frozen with Conflict, naming the frozen mounts", async () => {
    const { freezer, calls } = setup();
    await freezer.freeze(60);
    await assert.rejects(freezer.freeze(60), (error: RpcError) => {
      assert.equal(error.code, ErrorCode.Conflict);
      assert.match(error.message, /\/srv\/data.*already frozen.*send fs_thaw first/);
      return true;
    });
    assert.equal(calls.length, 3, "no fsfreeze ran for the refused request");
  });

  it("thaws by itself when no fs_thaw arrives before the timeout, and fs_thaw then reports when", async () => {
    const { freezer, calls, clock } = setup();
    await freezer.freeze(60);
    clock.advance(59_999);
    assert.equal(freezer.status().frozen, true);
    clock.advance(1);
    await settle();
    assert.equal(freezer.status().frozen, false);
    assert.equal(freezer.status().auto_thawed_at, "2025-01-01T12:01:00.000Z");
    assert.deepEqual(calls.slice(3), ["unfreeze /srv", "unfreeze /srv/data", "unfreeze /mnt/my disk"]);
    assert.deepEqual(await freezer.thaw(), { thawed: [], failed: [], auto_thawed_at: "2025-01-01T12:01:00.000Z" });
    assert.equal(calls.length, 6, "the late fs_thaw ran no fsfreeze");
  });

  it("cancels the automatic thaw when fs_thaw comes in time", async () => {
    const { freezer, calls, clock } = setup();
    await freezer.freeze(60);
    await freezer.thaw();
    assert.equal(clock.pending(), 0);
    clock.advance(120_000);
    await settle();
    assert.equal(calls.length, 6);
  });

  it("on a mount that cannot be frozen, thaws what it froze and answers IoError listing both", async () => {
    const { freezer, calls } = setup({ "freeze /srv": "fsfreeze: /srv: freeze failed: Operation not supported" });
    await assert.rejects(freezer.freeze(60), (error: RpcError) => {
      assert.equal(error.code, ErrorCode.IoError);
      assert.deepEqual(fsFreezeFailureData.parse(error.data), {
        failed: [{ mount: "/srv", error: "fsfreeze: /srv: freeze failed: Operation not supported" }],
        thawed_again: ["/srv/data", "/mnt/my disk"],
      });
      return true;
    });
    assert.deepEqual(calls, ["freeze /mnt/my disk", "freeze /srv/data", "freeze /srv", "unfreeze /srv/data", "unfreeze /mnt/my disk"]);
    assert.equal(freezer.status().frozen, false);
  });

  it("holds the agent's log while frozen and writes it after the thaw", async () => {
    const sink = new MemorySink();
    const log = new Logger("info", sink);
    const held = new Freezer({ readMountInfo: async () => MOUNTINFO, run: async () => null, clock: new FakeClock(), log });
    await held.freeze(60);
    log.info("written while frozen");
    assert.deepEqual(sink.lines, []);
    await held.thaw();
    assert.deepEqual(sink.lines, ["info written while frozen"]);
  });

  it("with no freezable filesystem freezes nothing and sets no timer", async () => {
    const clock = new FakeClock();
    const freezer = new Freezer({
      readMountInfo: async () => "1 1 0:2 / / rw - rootfs rootfs rw\n",
      run: async () => "unexpected",
      clock,
      log: new Logger("info", new MemorySink()),
    });
    assert.deepEqual(await freezer.freeze(), { frozen: [], frozen_at: "2025-01-01T12:00:00.000Z", auto_thaw_at: null });
    assert.equal(clock.pending(), 0);
    assert.equal(freezer.status().frozen, false);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode } from "../../protocol/errors";
import { methods } from "../../protocol/methods";
import type { CommandOutcome } from "../account/run";
import { syncTime, type ClockDeps } from "./sync-time";

const HOST = Date.UTC(2026, 10, 28, 5, 0, 0, 250);

/** A guest clock at `guest`, a monotonic clock that advances `spentMs` between reads, and a date that answers `outcomes` in turn. */
function fakeClock(guest: number, spentMs: number, outcomes: Array<Partial<CommandOutcome>> = [{}]): ClockDeps & { args: string[][] } {
  let mono = 1000;
  const args: string[][] = [];
  return {
    args,
    now: () => guest,
    monotonic: () => (mono += spentMs) - spentMs,
    run: async (_file, argv) => {
      args.push([...argv]);
      return { code: 0, stdout: "", stderr: "", ...outcomes[args.length - 1] };
    },
  };
}

describe("sync_time", () => {
  it("answers host − guest (positive when the guest is behind) and sets the host time advanced by the time spent here", async () => {
    const behind = fakeClock(HOST - 3_600_000, 40);
    assert.deepEqual(await syncTime(HOST, behind), { offset_ms: 3_600_000, method: "date" });
    assert.deepEqual(behind.args, [["-u", "-s", `@${((HOST + 40) / 1000).toFixed(3)}`]]);
    const ahead = fakeClock(HOST + 1500, 0);
    assert.equal((await syncTime(HOST, ahead)).offset_ms, -1500);
  });

  it("falls back to whole seconds where date refuses a fraction (busybox)", async () => {
    const clock = fakeClock(HOST, 0, [{ code: 1, stderr: "date: invalid date '@1764306000.250'" }, {}]);
    await syncTime(HOST, clock);
    assert.deepEqual(clock.args[1], ["-u", "-s", `@${Math.round(HOST / 1000)}`]);
  });

  it("a refused clock change is PermissionDenied with what date said", async () => {
    const clock = fakeClock(HOST, 0, [{ code: 1, stderr: "date: cannot set date: Operation not permitted" }]);
    await assert.rejects(syncTime(HOST, clock), (error: Error & { code: number }) => {
      assert.equal(error.code, ErrorCode.PermissionDenied);
      assert.match(error.message, /date -s failed \(exit 1\): date: cannot set date: Operation not permitted/);
      return true;
    });
  });

  it("refuses times before 2020 and from 2100 on, and non-integers", () => {
    const parse = (time_ms: unknown) => methods.sync_time.params.safeParse({ time_ms });
    assert.ok(parse(HOST).success);
    assert.match(parse(Date.UTC(2019, 11, 31)).error!.issues[0]!.message, /before 2020-01-01/);
    assert.match(parse(Date.UTC(2100, 0, 1, 0, 0, 1)).error!.issues[0]!.message, /before 2100-01-01/);
    assert.equal(parse(HOST + 0.5).success, false);
    assert.equal(parse(String(HOST)).success, false);
  });
});

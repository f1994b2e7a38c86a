import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseUtmp, utmpLayoutFor, utmpLayouts, type UtmpLayout } from "./utmp";

function record(layout: UtmpLayout, fields: { type: number; pid: number; line: string; user: string; host: string; seconds: number }): Buffer {
  const buffer = Buffer.alloc(layout.recordSize);
  buffer.writeInt16LE(fields.type, 0);
  buffer.writeInt32LE(fields.pid, 4);
  buffer.write(fields.line, 8, "utf8");
  buffer.write(fields.user, 44, "utf8");
  buffer.write(fields.host, 76, "utf8");
  if (layout.timeBits === 32) buffer.writeUInt32LE(fields.seconds, layout.timeOffset);
  else buffer.writeBigInt64LE(BigInt(fields.seconds), layout.timeOffset);
  return buffer;
}

describe("utmp", () => {
  for (const layout of Object.values(utmpLayouts)) {
    it(`reads USER_PROCESS records (${layout.recordSize}-byte records)`, () => {
      const data = Buffer.concat([
        record(layout, { type: 2, pid: 0, line: "~", user: "reboot", host: "6.1.0", seconds: 1735729200 }),
        record(layout, { type: 7, pid: 1234, line: "pts/0", user: "alice", host: "192.168.122.1", seconds: 1735731000 }),
        record(layout, { type: 7, pid: 99, line: "tty1", user: "root", host: "", seconds: 1735731060 }),
      ]);
      assert.deepEqual(parseUtmp(data, layout), [
        { user: "alice", terminal: "pts/0", host: "192.168.122.1", login_time: "2025-01-01T11:30:00.000Z", pid: 1234 },
        { user: "root", terminal: "tty1", host: null, login_time: "2025-01-01T11:31:00.000Z", pid: 99 },
      ]);
    });
  }

  it("picks the layout by architecture", () => {
    assert.equal(utmpLayoutFor("x64").recordSize, 384);
    assert.equal(utmpLayoutFor("arm64").recordSize, 400);
  });
});

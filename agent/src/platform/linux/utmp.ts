import type { UserSession } from "../../../protocol/index";

/** utmp record type of a logged-in user (utmp.h). */
const USER_PROCESS = 7;

export interface UtmpLayout {
  recordSize: number;
  /** Offset of ut_tv; its seconds field is 32 bits on x86 and 32-bit ARM, 64 bits elsewhere. */
  timeOffset: number;
  timeBits: 32 | 64;
}

/** glibc's struct utmp: type@0, pid@4, line[32]@8, id[4]@40, user[32]@44, host[256]@76. */
export const utmpLayouts = {
  time32: { recordSize: 384, timeOffset: 340, timeBits: 32 },
  time64: { recordSize: 400, timeOffset: 344, timeBits: 64 },
} as const satisfies Record<string, UtmpLayout>;

export function utmpLayoutFor(arch: string): UtmpLayout {
  return arch === "x64" || arch === "ia32" || arch === "arm" ? utmpLayouts.time32 : utmpLayouts.time64;
}

export function parseUtmp(data: Buffer, layout: UtmpLayout): UserSession[] {
  const sessions: UserSession[] = [];
  for (let offset = 0; offset + layout.recordSize <= data.length; offset += layout.recordSize) {
    const record = data.subarray(offset, offset + layout.recordSize);
    if (record.readInt16LE(0) !== USER_PROCESS) continue;
    const seconds = layout.timeBits === 32 ? record.readUInt32LE(layout.timeOffset) : Number(record.readBigInt64LE(layout.timeOffset));
    const host = cString(record, 76, 256);
    sessions.push({
      user: cString(record, 44, 32),
      terminal: cString(record, 8, 32),
      host: host === "" ? null : host,
      login_time: new Date(seconds * 1000).toISOString(),
      pid: record.readInt32LE(4) || null,
    });
  }
  return sessions;
}

function cString(record: Buffer, offset: number, length: number): string {
  const field = record.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString("utf8");
}

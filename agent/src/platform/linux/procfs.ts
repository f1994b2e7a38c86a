/** Pure parsers of /proc and /etc text; no I/O, so they are tested on fixed samples. */

export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1]!] = unquote(match[2]!);
  }
  return fields;
}

function unquote(value: string): string {
  const quoted = /^"(.*)"$/.exec(value) ?? /^'(.*)'$/.exec(value);
  const inner = quoted ? quoted[1]! : value;
  return inner.replace(/\\([\\"'$`])/g, "$1");
}

/**
 * The fields of /proc/meminfo named in `keys`, in bytes: telemetry reads 7 of its ~55 lines every pass,
 * and looking those up takes ~3 µs natively under --lite-mode where parsing every line took 35–48.
 */
export function meminfoFields(text: string, keys: readonly string[]): Map<string, number> {
  const fields = new Map<string, number>();
  // Every line, the first too, starts after a newline: "\nCached:" is not "SwapCached:".
  const lines = `\n${text}`;
  for (const key of keys) {
    const at = lines.indexOf(`\n${key}:`);
    if (at === -1) continue;
    const valueAt = at + key.length + 2;
    const newline = lines.indexOf("\n", valueAt);
    const end = newline === -1 ? lines.length : newline;
    // parseInt skips the padding and stops at " kB".
    const value = Number.parseInt(lines.slice(valueAt, end), 10);
    if (!Number.isNaN(value)) fields.set(key, lines.endsWith(" kB", end) ? value * 1024 : value);
  }
  return fields;
}

/** /proc/meminfo in bytes, keyed by field name. */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?$/.exec(line.trim());
    if (match) fields.set(match[1]!, Number(match[2]) * (line.includes("kB") ? 1024 : 1));
  }
  return fields;
}

export interface CpuTimes {
  /** All time spent, in clock ticks. */
  total: number;
  /** idle + iowait. */
  idle: number;
}

export interface ProcStat {
  cpu: CpuTimes;
  /** `cpuN` lines: the CPUs online now (hot-plug changes it), 0 when the text has none. */
  online: number;
  /** Boot time, seconds since the epoch. */
  bootTime: number | null;
}

export function parseProcStat(text: string): ProcStat {
  let cpu: CpuTimes = { total: 0, idle: 0 };
  let bootTime: number | null = null;
  let online = 0;
  for (const line of text.split("\n")) {
    if (/^cpu\d/.test(line)) {
      online++;
      continue;
    }
    // Only two lines are wanted: splitting every one cut `intr` (a count per interrupt, ~1,000 fields
    // in a guest) into strings each telemetry pass.
    if (!line.startsWith("cpu ") && !line.startsWith("btime ")) continue;
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "cpu") {
      // guest and guest_nice are already counted in user and nice.
      const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(1, 9).map((v) => Number(v) || 0);
      cpu = {
        total: user! + nice! + system! + idle! + iowait! + irq! + softirq! + steal!,
        idle: idle! + iowait!,
      };
    } else if (fields[0] === "btime") {
      bootTime = Number(fields[1]);
    }
  }
  return { cpu, online, bootTime };
}

export interface DiskCounters {
  name: string;
  reads: number;
  readBytes: number;
  writes: number;
  writeBytes: number;
}

/** /proc/diskstats counts sectors of 512 bytes whatever the device's sector size. */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    disks.push({
      name: fields[2]!,
      reads: Number(fields[3]),
      readBytes: Number(fields[5]) * 512,
      writes: Number(fields[7]),
      writeBytes: Number(fields[9]) * 512,
    });
  }
  return disks;
}

export interface NetCounters {
  name: string;
  rxBytes: number;
  txBytes: number;
}

export function parseNetDev(text: string): NetCounters[] {
  const interfaces: NetCounters[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!match) continue;
    const fields = match[2]!.trim().split(/\s+/).map(Number);
    if (fields.length < 9) continue;
    interfaces.push({ name: match[1]!, rxBytes: fields[0]!, txBytes: fields[8]! });
  }
  return interfaces;
}

export interface PidStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, clock ticks. */
  cpuTicks: number;
  threads: number;
  /** Ticks after boot. */
  startTicks: number;
}

export function parsePidStat(text: string): PidStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  if (rest.length < 20) return null;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0]!,
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
    threads: Number(rest[17]),
    startTicks: Number(rest[19]),
  };
}

export interface PidStatus {
  uid: number | null;
  rssBytes: number;
}

export function parsePidStatus(text: string): PidStatus {
  const uid = /^Uid:\s+(\d+)/m.exec(text);
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return { uid: uid ? Number(uid[1]) : null, rssBytes: rss ? Number(rss[1]) * 1024 : 0 };
}

/** Arguments are NUL-separated; kernel threads have an empty cmdline. */
export function parseCmdline(raw: Buffer): string {
  return raw.toString("utf8").replace(/\0+$/, "").split("\0").join(" ");
}

export interface MountEntry {
  device: string;
  mountpoint: string;
  fstype: string;
  readOnly: boolean;
}

export function parseMounts(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.split(" ");
    if (fields.length < 4) continue;
    mounts.push({
      device: unescapeOctal(fields[0]!),
      mountpoint: unescapeOctal(fields[1]!),
      fstype: fields[2]!,
      readOnly: fields[3]!.split(",").includes("ro"),
    });
  }
  return mounts;
}

/** /proc/mounts writes space, tab, newline and backslash as \040, \011, \012, \134. */
function unescapeOctal(value: string): string {
  if (!value.includes("\\")) return value;
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 3 && /^\d+$/.test(fields[2]!)) users.set(Number(fields[2]), fields[0]!);
  }
  return users;
}

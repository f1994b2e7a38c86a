import { readdir, readFile } from "../../fs-async";
import os from "node:os";
import type { ProcessEntry, ProcessList } from "../../../protocol/index";
import { delay } from "../../delay";
import type { ProcessQuery } from "../platform";
import { sortProcesses } from "../sort-processes";
import { parseCmdline, parsePasswd, parsePidStat, parsePidStatus, parseProcStat } from "./procfs";
import { readText } from "./read";

/** USER_HZ: 100 on every Linux ABI Node runs on; Node cannot ask sysconf for it. */
const CLOCK_TICKS = 100;
const BASELINE_MS = 250;
const STALE_MS = 10 * 60_000;

interface Snapshot {
  at: number;
  entries: Map<number, { ticks: number; entry: Omit<ProcessEntry, "cpu_percent"> }>;
}

async function readProcess(pid: number, users: Map<number, string>, bootTime: number) {
  const [stat, status, cmdline] = await Promise.all([
    readText(`/proc/${pid}/stat`),
    readText(`/proc/${pid}/status`),
    readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0)),
  ]);
  const parsed = stat ? parsePidStat(stat) : null;
  if (!parsed || !status) return null;
  const { uid, rssBytes } = parsePidStatus(status);
  const command = parseCmdline(cmdline);
  return {
    ticks: parsed.cpuTicks,
    entry: {
      pid,
      ppid: parsed.ppid,
      user: uid === null ? "?" : (users.get(uid) ?? String(uid)),
      name: parsed.comm,
      command: command === "" ? `[${parsed.comm}]` : command,
      state: parsed.state,
      rss_bytes: rssBytes,
      threads: parsed.threads,
      started_at: new Date((bootTime + parsed.startTicks / CLOCK_TICKS) * 1000).toISOString(),
    },
  };
}

async function snapshot(): Promise<Snapshot> {
  const [names, passwd, stat] = await Promise.all([readdir("/proc"), readText("/etc/passwd"), readText("/proc/stat")]);
  const users = parsePasswd(passwd ?? "");
  const bootTime = parseProcStat(stat ?? "").bootTime ?? Date.now() / 1000 - os.uptime();
  const pids = names.filter((name) => /^\d+$/.test(name)).map(Number);
  const read = await Promise.all(pids.map((pid) => readProcess(pid, users, bootTime)));
  const entries = new Map<number, NonNullable<(typeof read)[number]>>();
  for (const item of read) if (item) entries.set(item.entry.pid, item);
  return { at: Date.now(), entries };
}

/** CPU percentages (of one CPU, as top shows them) since the previous listing. */
export class LinuxProcesses {
  private previous: Snapshot | null = null;

  async list(query: ProcessQuery): Promise<ProcessList> {
    let before = this.previous;
    if (!before || Date.now() - before.at > STALE_MS) {
      before = await snapshot();
      await delay(BASELINE_MS);
    }
    const now = await snapshot();
    this.previous = now;
    const seconds = Math.max((now.at - before.at) / 1000, 0.001);
    const processes = [...now.entries.values()].map(({ ticks, entry }) => {
      const earlier = before.entries.get(entry.pid)?.ticks ?? ticks;
      const percent = (Math.max(0, ticks - earlier) / CLOCK_TICKS / seconds) * 100;
      return { ...entry, cpu_percent: Math.round(percent * 10) / 10 };
    });
    return { total: processes.length, processes: sortProcesses(processes, query.sortBy).slice(0, query.limit) };
  }
}

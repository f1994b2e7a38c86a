import { readdirSync } from "node:fs";
import os from "node:os";
import type { Metrics } from "../../../protocol/index";
import { delay } from "../../delay";
import { meminfoFields, parseDiskstats, parseNetDev, parseProcStat, type CpuTimes, type DiskCounters, type NetCounters } from "./procfs";
import { ProcFile } from "./read";

export interface MetricsSample {
  at: number;
  cpu: CpuTimes;
  /** CPUs online (from /proc/stat's cpuN lines). */
  cpuCount: number;
  disks: DiskCounters[];
  net: NetCounters[];
  memory: Map<string, number>;
}

/** Without an earlier sample the rates need a baseline this long. */
const BASELINE_MS = 250;
/** Older samples say little about "now"; take a fresh baseline instead. */
const STALE_MS = 10 * 60_000;
const VIRTUAL_DISK = /^(loop|ram|zram|dm-|md|sr|fd)\d*/;

/** The files every sample reads, kept open (read.ts says why). */
const files = {
  stat: new ProcFile("/proc/stat"),
  diskstats: new ProcFile("/proc/diskstats"),
  netdev: new ProcFile("/proc/net/dev"),
  meminfo: new ProcFile("/proc/meminfo"),
  // Not os.loadavg(): libuv opens, reads and closes /proc/loadavg each call, ~10 % of a pass's CPU natively.
  loadavg: new ProcFile("/proc/loadavg"),
};

/** The three load averages of /proc/loadavg ("0.52 0.58 0.59 1/467 12345"). */
export function parseLoadavg(text: string): number[] {
  return text
    .split(" ", 3)
    .filter((field) => field !== "")
    .map(Number)
    .filter((value) => Number.isFinite(value));
}

function blockDevices(): string[] {
  try {
    return readdirSync("/sys/block");
  } catch {
    return [];
  }
}

/**
 * The whole disks among diskstats' devices (/sys/block lists disks, not partitions), listed again
 * only when diskstats names another set of devices, as a disk plugged or unplugged makes it: one
 * getdents of a sysfs directory less per telemetry pass.
 */
export class WholeDisks {
  private last: { devices: string; names: Set<string> } | null = null;

  constructor(private readonly list: () => string[] = blockDevices) {}

  among(disks: readonly DiskCounters[]): DiskCounters[] {
    const devices = disks.map((disk) => disk.name).join(" ");
    if (this.last?.devices !== devices) this.last = { devices, names: new Set(this.list().filter((name) => !VIRTUAL_DISK.test(name))) };
    const names = this.last.names;
    return disks.filter((disk) => names.has(disk.name));
  }
}

const wholeDisks = new WholeDisks();

/** The /proc/meminfo fields computeMetrics reads. */
const MEMINFO_KEYS = ["MemTotal", "MemAvailable", "MemFree", "Buffers", "Cached", "SwapTotal", "SwapFree"] as const;

/** One synchronous pass over /proc: every read is a pread of memory the kernel generates. */
function readSample(): MetricsSample {
  const stat = parseProcStat(files.stat.read() ?? "");
  return {
    at: Date.now(),
    cpu: stat.cpu,
    cpuCount: stat.online || os.cpus().length,
    disks: wholeDisks.among(parseDiskstats(files.diskstats.read() ?? "")),
    net: parseNetDev(files.netdev.read() ?? ""),
    memory: meminfoFields(files.meminfo.read() ?? "", MEMINFO_KEYS),
  };
}

/** CPU percentage and rates are differences to the previous sample, whoever asked for it. */
export class LinuxMetrics {
  private previous: MetricsSample | null = null;

  async sample(): Promise<Metrics> {
    let before = this.previous;
    if (!before || Date.now() - before.at > STALE_MS) {
      before = readSample();
      await delay(BASELINE_MS);
    }
    const now = readSample();
    this.previous = now;
    return computeMetrics(before, now, parseLoadavg(files.loadavg.read() ?? ""), now.cpuCount);
  }
}

export function computeMetrics(before: MetricsSample, now: MetricsSample, load: number[], cpuCount: number): Metrics {
  const seconds = Math.max((now.at - before.at) / 1000, 0.001);
  const ticks = now.cpu.total - before.cpu.total;
  const busy = ticks - (now.cpu.idle - before.cpu.idle);
  const rate = (later: number, earlier: number | undefined) => Math.max(0, later - (earlier ?? later)) / seconds;
  const mem = (key: string) => now.memory.get(key) ?? 0;
  const total = mem("MemTotal");
  const available = now.memory.get("MemAvailable") ?? mem("MemFree");
  const previousDisks = new Map(before.disks.map((disk) => [disk.name, disk]));
  const previousNet = new Map(before.net.map((net) => [net.name, net]));
  return {
    timestamp: new Date(now.at).toISOString(),
    interval_ms: now.at - before.at,
    cpu: { percent: ticks > 0 ? round(Math.min(100, Math.max(0, (busy / ticks) * 100))) : 0, count: cpuCount },
    load: { one: load[0] ?? 0, five: load[1] ?? 0, fifteen: load[2] ?? 0 },
    memory: {
      total_bytes: total,
      available_bytes: available,
      used_bytes: Math.max(0, total - available),
      free_bytes: mem("MemFree"),
      buffers_bytes: mem("Buffers"),
      cached_bytes: mem("Cached"),
      swap_total_bytes: mem("SwapTotal"),
      swap_used_bytes: Math.max(0, mem("SwapTotal") - mem("SwapFree")),
    },
    disks: now.disks.map((disk) => {
      const earlier = previousDisks.get(disk.name);
      return {
        device: disk.name,
        read_bytes_per_s: round(rate(disk.readBytes, earlier?.readBytes)),
        write_bytes_per_s: round(rate(disk.writeBytes, earlier?.writeBytes)),
        reads_per_s: round(rate(disk.reads, earlier?.reads)),
        writes_per_s: round(rate(disk.writes, earlier?.writes)),
      };
    }),
    network: now.net.map((net) => {
      const earlier = previousNet.get(net.name);
      return {
        interface: net.name,
        rx_bytes_per_s: round(rate(net.rxBytes, earlier?.rxBytes)),
        tx_bytes_per_s: round(rate(net.txBytes, earlier?.txBytes)),
      };
    }),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

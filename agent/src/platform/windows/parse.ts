/**
 * Pure parsers of what Windows PowerShell 5.1 / PowerShell 7 print with
 * ConvertTo-Json. Tested on sample outputs in fixtures/; never run on a real guest yet.
 */
import type { DiskUsage, Metrics, NetworkInfo, ProcessEntry, SystemInfo, Telemetry, UserSession } from "../../../protocol/index";
import { filesystemUse } from "../filesystem-use";

type Json = Record<string, unknown>;

/** ConvertTo-Json prints a lone object where a list has one element, and nothing for none. */
export function asArray(value: unknown): Json[] {
  if (value === null || value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is Json => typeof item === "object" && item !== null);
}

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value ?? 0) || 0);
const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** PowerShell 5.1 writes dates as "/Date(ms)/", 7 as ISO 8601; CIM objects may carry DMTF "yyyymmddHHMMSS.mmmmmm+UUU". */
export function parseWindowsDate(value: unknown): Date | null {
  if (typeof value === "object" && value !== null && "value" in value) return parseWindowsDate((value as Json).value);
  if (typeof value !== "string") return null;
  const legacy = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value);
  if (legacy) return new Date(Number(legacy[1]));
  const dmtf = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/.exec(value);
  if (dmtf) {
    const [, y, mo, d, h, mi, s, micro, sign, offset] = dmtf;
    const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(micro) / 1000);
    return new Date(utc - (sign === "+" ? 1 : -1) * Number(offset) * 60_000);
  }
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

export interface SystemSample {
  os: Json;
  computer: Json;
  processors: unknown;
  timezone: unknown;
}

export function parseSystemInfo(sample: SystemSample, now: Date): SystemInfo {
  const boot = parseWindowsDate(sample.os.LastBootUpTime) ?? now;
  const processors = asArray(sample.processors);
  const logical = processors.reduce((total, cpu) => total + num(cpu.NumberOfLogicalProcessors), 0);
  const version = str(sample.os.Version);
  return {
    hostname: str(sample.computer.DNSHostName) ?? str(sample.computer.Name) ?? "unknown",
    os: {
      id: "windows",
      name: str(sample.os.Caption),
      version,
      version_id: version,
      pretty_name: str(sample.os.Caption),
    },
    kernel: { name: "Windows_NT", release: version ?? "unknown", version: str(sample.os.BuildNumber) ?? "unknown" },
    arch: str(sample.os.OSArchitecture) ?? "unknown",
    uptime_s: Math.max(0, (now.getTime() - boot.getTime()) / 1000),
    boot_time: boot.toISOString(),
    timezone: str(sample.timezone) ?? "UTC",
    cpu: { model: str(processors[0]?.Name)?.trim() ?? "unknown", count: logical || processors.length },
    memory: {
      // Win32_OperatingSystem counts in KiB.
      total_bytes: num(sample.os.TotalVisibleMemorySize) * 1024,
      available_bytes: num(sample.os.FreePhysicalMemory) * 1024,
    },
  };
}

/** Get-NetIPAddress's AddressFamily: 2 / "IPv4", 23 / "IPv6". */
function family(value: unknown): "ipv4" | "ipv6" {
  return value === 23 || value === "IPv6" ? "ipv6" : "ipv4";
}

export interface NetworkSample {
  adapters: unknown;
  addresses: unknown;
  statistics: unknown;
}

export function parseNetworkInfo(sample: NetworkSample): NetworkInfo {
  const addresses = asArray(sample.addresses);
  const statistics = new Map(asArray(sample.statistics).map((row) => [str(row.Name), row]));
  const interfaces = asArray(sample.adapters).map((adapter) => {
    const name = str(adapter.Name) ?? `if${num(adapter.InterfaceIndex)}`;
    const stats = statistics.get(name) ?? {};
    const status = str(adapter.Status) ?? "Unknown";
    return {
      name,
      mac: str(adapter.MacAddress)?.replace(/-/g, ":").toLowerCase() ?? null,
      up: status === "Up",
      oper_state: status.toLowerCase(),
      mtu: adapter.MtuSize === undefined ? null : num(adapter.MtuSize),
      addresses: addresses
        .filter((address) => num(address.InterfaceIndex) === num(adapter.InterfaceIndex))
        .map((address) => ({
          family: family(address.AddressFamily),
          // Link-local IPv6 addresses carry a "%ifindex" zone suffix.
          address: (str(address.IPAddress) ?? "").replace(/%\d+$/, ""),
          prefix: num(address.PrefixLength),
        })),
      rx_bytes: num(stats.ReceivedBytes),
      tx_bytes: num(stats.SentBytes),
      rx_packets: num(stats.ReceivedUnicastPackets),
      tx_packets: num(stats.SentUnicastPackets),
      rx_errors: num(stats.ReceivedPacketErrors),
      tx_errors: num(stats.OutboundPacketErrors),
    };
  });
  return { interfaces };
}

/** Win32_LogicalDisk DriveType: 2 removable, 3 local, 4 network, 5 optical. */
const REAL_DRIVES = new Set([2, 3, 4]);

export function parseDiskUsage(disks: unknown, includePseudo: boolean): DiskUsage {
  const filesystems = asArray(disks)
    .filter((disk) => includePseudo || REAL_DRIVES.has(num(disk.DriveType)))
    .filter((disk) => disk.Size !== null && disk.Size !== undefined)
    .map((disk) => {
      const total = num(disk.Size);
      const free = num(disk.FreeSpace);
      const device = str(disk.DeviceID) ?? "?";
      return {
        device,
        mountpoint: `${device}\\`,
        fstype: str(disk.FileSystem) ?? "unknown",
        read_only: false,
        total_bytes: total,
        used_bytes: Math.max(0, total - free),
        free_bytes: free,
        available_bytes: free,
        // NTFS has no fixed inode table to report.
        inodes_total: 0,
        inodes_used: 0,
        inodes_free: 0,
      };
    });
  return { filesystems };
}

export interface ProcessSample {
  /** Win32_Process: ProcessId, ParentProcessId, Name, CommandLine, WorkingSetSize, ThreadCount, CreationDate. */
  processes: unknown;
  /** Get-Process -IncludeUserName: Id, UserName, CPU (seconds). */
  owners: unknown;
}

export function parseProcesses(sample: ProcessSample): Array<Omit<ProcessEntry, "cpu_percent"> & { cpuSeconds: number }> {
  const owners = new Map(asArray(sample.owners).map((row) => [num(row.Id), row]));
  return asArray(sample.processes).map((process) => {
    const pid = num(process.ProcessId);
    const owner = owners.get(pid);
    const name = str(process.Name) ?? "?";
    return {
      pid,
      ppid: num(process.ParentProcessId),
      user: str(owner?.UserName) ?? "?",
      name,
      command: str(process.CommandLine) ?? name,
      state: "R",
      rss_bytes: num(process.WorkingSetSize),
      threads: num(process.ThreadCount),
      started_at: parseWindowsDate(process.CreationDate)?.toISOString() ?? null,
      cpuSeconds: num(owner?.CPU),
    };
  });
}

/**
 * quser prints fixed-width columns under a header; SESSIONNAME is blank for
 * disconnected sessions, so columns are cut at the header's positions.
 */
export function parseQuser(text: string): UserSession[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "");
  const header = lines.shift();
  if (!header) return [];
  const at = (title: string) => header.indexOf(title);
  const columns = { session: at("SESSIONNAME"), id: at("ID"), state: at("STATE"), idle: at("IDLE TIME"), logon: at("LOGON TIME") };
  if (Object.values(columns).some((position) => position < 0)) return [];
  return lines.map((line) => {
    const user = line.slice(0, columns.session).replace(/^>/, "").trim();
    const terminal = line.slice(columns.session, columns.id).trim();
    const logon = new Date(line.slice(columns.logon).trim());
    return {
      user,
      terminal: terminal === "" ? "disconnected" : terminal,
      host: null,
      login_time: (Number.isNaN(logon.getTime()) ? new Date(0) : logon).toISOString(),
      pid: null,
    };
  });
}

export interface MetricsSample {
  processor: unknown;
  os: Json;
  pageFiles: unknown;
  disks: unknown;
  interfaces: unknown;
}

export function parseMetrics(sample: MetricsSample, now: Date, intervalMs: number, cpuCount: number): Metrics {
  const total = num(sample.os.TotalVisibleMemorySize) * 1024;
  const free = num(sample.os.FreePhysicalMemory) * 1024;
  const pageFiles = asArray(sample.pageFiles);
  // Win32_PageFileUsage counts in MiB.
  const swapTotal = pageFiles.reduce((sum, file) => sum + num(file.AllocatedBaseSize), 0) * 1024 * 1024;
  const swapUsed = pageFiles.reduce((sum, file) => sum + num(file.CurrentUsage), 0) * 1024 * 1024;
  const processor = asArray(sample.processor).find((row) => row.Name === "_Total");
  return {
    timestamp: now.toISOString(),
    interval_ms: intervalMs,
    cpu: { percent: Math.min(100, num(processor?.PercentProcessorTime)), count: cpuCount },
    // Windows has no load average.
    load: { one: 0, five: 0, fifteen: 0 },
    memory: {
      total_bytes: total,
      available_bytes: free,
      used_bytes: Math.max(0, total - free),
      free_bytes: free,
      buffers_bytes: 0,
      cached_bytes: 0,
      swap_total_bytes: swapTotal,
      swap_used_bytes: swapUsed,
    },
    disks: asArray(sample.disks)
      .filter((disk) => disk.Name !== "_Total")
      .map((disk) => ({
        device: str(disk.Name) ?? "?",
        read_bytes_per_s: num(disk.DiskReadBytesPersec),
        write_bytes_per_s: num(disk.DiskWriteBytesPersec),
        reads_per_s: num(disk.DiskReadsPersec),
        writes_per_s: num(disk.DiskWritesPersec),
      })),
    network: asArray(sample.interfaces).map((row) => ({
      interface: str(row.Name) ?? "?",
      rx_bytes_per_s: num(row.BytesReceivedPersec),
      tx_bytes_per_s: num(row.BytesSentPersec),
    })),
  };
}

export interface TelemetrySample extends MetricsSample {
  /** Win32_LogicalDisk, as parseDiskUsage reads it. */
  drives: unknown;
}

export function parseTelemetry(sample: TelemetrySample, now: Date, intervalMs: number, cpuCount: number): Telemetry {
  return { ...parseMetrics(sample, now, intervalMs, cpuCount), filesystems: filesystemUse(parseDiskUsage(sample.drives, false).filesystems) };
}

import { childProcess } from "../../child-process";
import os from "node:os";
import { sortProcesses } from "../sort-processes";
import type { Platform } from "../platform";
import {
  parseDiskUsage,
  parseMetrics,
  parseNetworkInfo,
  parseProcesses,
  parseQuser,
  parseSystemInfo,
  parseTelemetry,
  type MetricsSample,
  type NetworkSample,
  type ProcessSample,
  type SystemSample,
  type TelemetrySample,
} from "./parse";
import { powershellJson, runText } from "./powershell";

const SYSTEM_QUERY = `[pscustomobject]@{
  os = Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,OSArchitecture,LastBootUpTime,TotalVisibleMemorySize,FreePhysicalMemory
  computer = Get-CimInstance Win32_ComputerSystem | Select-Object Name,DNSHostName
  processors = @(Get-CimInstance Win32_Processor | Select-Object Name,NumberOfLogicalProcessors)
  timezone = (Get-TimeZone).Id }`;

const NETWORK_QUERY = `[pscustomobject]@{
  adapters = @(Get-NetAdapter | Select-Object Name,InterfaceIndex,MacAddress,Status,MtuSize)
  addresses = @(Get-NetIPAddress | Select-Object InterfaceIndex,IPAddress,PrefixLength,AddressFamily)
  statistics = @(Get-NetAdapterStatistics | Select-Object Name,ReceivedBytes,SentBytes,ReceivedUnicastPackets,SentUnicastPackets,ReceivedPacketErrors,OutboundPacketErrors) }`;

const DISK_QUERY = `@(Get-CimInstance Win32_LogicalDisk | Select-Object DeviceID,DriveType,FileSystem,Size,FreeSpace)`;

const PROCESS_QUERY = `[pscustomobject]@{
  processes = @(Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name,CommandLine,WorkingSetSize,ThreadCount,CreationDate)
  owners = @(Get-Process -IncludeUserName | Select-Object Id,UserName,CPU) }`;

const METRICS_FIELDS = `processor = @(Get-CimInstance Win32_PerfFormattedData_PerfOS_Processor | Select-Object Name,PercentProcessorTime)
  os = Get-CimInstance Win32_OperatingSystem | Select-Object TotalVisibleMemorySize,FreePhysicalMemory
  pageFiles = @(Get-CimInstance Win32_PageFileUsage | Select-Object AllocatedBaseSize,CurrentUsage)
  disks = @(Get-CimInstance Win32_PerfFormattedData_PerfDisk_PhysicalDisk | Select-Object Name,DiskReadBytesPersec,DiskWriteBytesPersec,DiskReadsPersec,DiskWritesPersec)
  interfaces = @(Get-CimInstance Win32_PerfFormattedData_Tcpip_NetworkInterface | Select-Object Name,BytesReceivedPersec,BytesSentPersec)`;

const METRICS_QUERY = `[pscustomobject]@{
  ${METRICS_FIELDS} }`;

/** The metrics and the drives in one PowerShell start: telemetry runs every few seconds, and each start costs. */
const TELEMETRY_QUERY = `[pscustomobject]@{
  ${METRICS_FIELDS}
  drives = ${DISK_QUERY} }`;

/** The perf counters are already per-second rates over Windows' own sampling interval (1 s). */
const PERF_INTERVAL_MS = 1_000;

export function windowsPlatform(): Platform {
  let previousCpu: { at: number; seconds: Map<number, number> } | null = null;
  return {
    os: "windows",
    // vioserial exposes a named port at \\.\Global\<name>, as qemu-ga uses it.
    devicePath: (portName) => `\\\\.\\Global\\${portName}`,
    defaultConfigPath: `${process.env.ProgramData ?? "C:\\ProgramData"}\\kvmmanager-agent\\config.json`,
    defaultAllowedPaths: [os.tmpdir()],
    systemInfo: async () => parseSystemInfo((await powershellJson(SYSTEM_QUERY)) as SystemSample, new Date()),
    networkInfo: async () => parseNetworkInfo((await powershellJson(NETWORK_QUERY)) as NetworkSample),
    diskUsage: async (includePseudo) => parseDiskUsage(await powershellJson(DISK_QUERY), includePseudo),
    metrics: async () => parseMetrics((await powershellJson(METRICS_QUERY)) as MetricsSample, new Date(), PERF_INTERVAL_MS, os.cpus().length),
    telemetry: async () => parseTelemetry((await powershellJson(TELEMETRY_QUERY)) as TelemetrySample, new Date(), PERF_INTERVAL_MS, os.cpus().length),
    processes: async (query) => {
      const rows = parseProcesses((await powershellJson(PROCESS_QUERY)) as ProcessSample);
      const now = { at: Date.now(), seconds: new Map(rows.map((row) => [row.pid, row.cpuSeconds])) };
      const before = previousCpu;
      previousCpu = now;
      const elapsed = before ? Math.max((now.at - before.at) / 1000, 0.001) : 0;
      const processes = rows.map(({ cpuSeconds, ...entry }) => {
        const earlier = before?.seconds.get(entry.pid);
        const percent = before && earlier !== undefined ? (Math.max(0, cpuSeconds - earlier) / elapsed) * 100 : 0;
        return { ...entry, cpu_percent: Math.round(percent * 10) / 10 };
      });
      return { total: processes.length, processes: sortProcesses(processes, query.sortBy).slice(0, query.limit) };
    },
    users: async () => parseQuser(await runText("quser.exe", []).catch(() => "")),
    powerCommand: async (action, force) => ({
      method: "windows",
      argv: ["shutdown.exe", action === "shutdown" ? "/s" : "/r", "/t", "0", ...(force ? ["/f"] : [])],
    }),
    killProcessTree: (pid) => {
      try {
        childProcess().execFileSync("taskkill.exe", ["/PID", String(pid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
      } catch {
        // taskkill fails when the tree is already gone; nothing is left to kill then.
      }
    },
  };
}

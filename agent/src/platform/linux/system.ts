import os from "node:os";
import type { SystemInfo } from "../../../protocol/index";
import { parseMeminfo, parseOsRelease, parseProcStat } from "./procfs";
import { readText } from "./read";
import { linuxTimeZone } from "./timezone";

export async function linuxSystemInfo(): Promise<SystemInfo> {
  const [osRelease, meminfo, stat, timezone] = await Promise.all([
    readText("/etc/os-release").then((text) => text ?? readText("/usr/lib/os-release")),
    readText("/proc/meminfo"),
    readText("/proc/stat"),
    linuxTimeZone(),
  ]);
  const release = parseOsRelease(osRelease ?? "");
  const memory = parseMeminfo(meminfo ?? "");
  const uptime = os.uptime();
  const bootTime = parseProcStat(stat ?? "").bootTime ?? Date.now() / 1000 - uptime;
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: {
      id: release.ID ?? null,
      name: release.NAME ?? null,
      version: release.VERSION ?? null,
      version_id: release.VERSION_ID ?? null,
      pretty_name: release.PRETTY_NAME ?? null,
    },
    kernel: { name: os.type(), release: os.release(), version: os.version() },
    arch: os.arch(),
    uptime_s: uptime,
    boot_time: new Date(bootTime * 1000).toISOString(),
    timezone,
    cpu: { model: cpus[0]?.model.trim() || "unknown", count: cpus.length },
    memory: {
      total_bytes: memory.get("MemTotal") ?? os.totalmem(),
      available_bytes: memory.get("MemAvailable") ?? os.freemem(),
    },
  };
}

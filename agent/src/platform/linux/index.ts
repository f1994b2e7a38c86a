import { readFile } from "../../fs-async";
import os from "node:os";
import { filesystemUse } from "../filesystem-use";
import type { Platform } from "../platform";
import { linuxDiskUsage } from "./disks";
import { LinuxMetrics } from "./metrics";
import { linuxNetworkInfo } from "./network";
import { choosePowerCommand, gatherInitFacts } from "./power";
import { findPackageManager, listLinuxPackages } from "./packages";
import { LinuxProcesses } from "./processes";
import { LinuxServices, toolRunner } from "./services";
import { linuxSystemInfo } from "./system";
import { onlineHotplugged } from "./hotplug";
import { logindSessions } from "./logind";
import { parseProcStat } from "./procfs";
import { parseUtmp, utmpLayoutFor } from "./utmp";

/** Standard PATH for finding init tools even when the agent was started with a minimal environment. */
const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** When the guest booted (ms since the epoch), from /proc/stat's btime. */
async function bootTimeMs(): Promise<number> {
  const bootTime = parseProcStat(await readFile("/proc/stat", "utf8")).bootTime;
  return bootTime === null ? Date.now() - os.uptime() * 1000 : bootTime * 1000;
}

export function linuxPlatform(): Platform {
  const metrics = new LinuxMetrics();
  const processes = new LinuxProcesses();
  const runTool = toolRunner(SYSTEM_PATH);
  return {
    os: "linux",
    devicePath: (portName) => `/dev/virtio-ports/${portName}`,
    defaultConfigPath: "/etc/kvmmanager-agent/config.json",
    defaultAllowedPaths: ["/tmp", "/var/tmp"],
    systemInfo: linuxSystemInfo,
    networkInfo: linuxNetworkInfo,
    diskUsage: linuxDiskUsage,
    metrics: () => metrics.sample(),
    telemetry: async () => {
      // Unreadable filesystems (a Node without fs.statfs) must not cost the rest of the telemetry.
      const [sample, usage] = await Promise.all([metrics.sample(), linuxDiskUsage(false, true).catch(() => null)]);
      return usage ? { ...sample, filesystems: filesystemUse(usage.filesystems) } : sample;
    },
    processes: (query) => processes.list(query),
    // utmp first (every login(1), sshd and getty writes it); where it is missing (musl, newer distros) or holds
    // no user session (logins that never write it), systemd-logind's sessions, when logind runs.
    users: async () => {
      const fromUtmp = parseUtmp(await readFile("/var/run/utmp").catch(() => Buffer.alloc(0)), utmpLayoutFor(os.arch()));
      return fromUtmp.length > 0 ? fromUtmp : logindSessions(runTool, bootTimeMs);
    },
    powerCommand: async (action, force) => choosePowerCommand(action, force, await gatherInitFacts(SYSTEM_PATH)),
    services: new LinuxServices(runTool, LinuxServices.detectIn(SYSTEM_PATH)),
    onlineHotplugged: () => onlineHotplugged(),
    packages: async () => listLinuxPackages(runTool, await findPackageManager(SYSTEM_PATH)),
    killProcessTree: (pid) => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
      }
    },
  };
}

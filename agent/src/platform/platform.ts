import type { HotplugResult } from "./linux/hotplug";
import type {
  DiskUsage,
  Metrics,
  NetworkInfo,
  PackageEntry,
  ProcessList,
  ServiceActionName,
  ServiceEntry,
  SystemInfo,
  Telemetry,
  UserSession,
} from "../../protocol/index";

export type PowerAction = "shutdown" | "reboot";

export interface PowerCommand {
  /** Reported to the host: systemd, openrc, busybox, sysvinit, windows. */
  method: string;
  argv: string[];
}

export interface ProcessQuery {
  sortBy: "cpu" | "memory" | "pid" | "name";
  limit: number;
}

/** Everything that differs between guest operating systems, behind one interface. */
export interface Platform {
  readonly os: "linux" | "windows";
  /** Where the virtio-serial port of the given name appears. */
  devicePath(portName: string): string;
  defaultConfigPath: string;
  defaultAllowedPaths: string[];
  systemInfo(): Promise<SystemInfo>;
  networkInfo(): Promise<NetworkInfo>;
  diskUsage(includePseudo: boolean): Promise<DiskUsage>;
  metrics(): Promise<Metrics>;
  /** What `telemetry` sends: `metrics()` and the filesystems' use (left out when it cannot be read). */
  telemetry(): Promise<Telemetry>;
  processes(query: ProcessQuery): Promise<ProcessList>;
  users(): Promise<UserSession[]>;
  powerCommand(action: PowerAction, force: boolean): Promise<PowerCommand>;
  /** Kills a process started detached together with everything in its group (or tree). */
  killProcessTree(pid: number): void;
  /** Services through the init system; absent where the agent has none to offer (Windows: untested, not built). */
  readonly services?: ServiceManager;
  /** Installed packages; absent on Windows. */
  readonly packages?: () => Promise<{ manager: PackageManagerName; packages: PackageEntry[] }>;
  /** Onlines hot-plugged vCPUs and memory blocks (Linux sysfs); absent on Windows, which does it itself. */
  readonly onlineHotplugged?: () => Promise<HotplugResult>;
}

export type PackageManagerName = "dpkg" | "rpm" | "apk";

/** Services and packages (issue 15). Entries may exceed the protocol's bounds: the handlers cut them. */
export interface ServiceManager {
  list(): Promise<{ init: "systemd" | "openrc"; services: ServiceEntry[] }>;
  act(name: string, action: ServiceActionName, timeoutMs: number): Promise<{ init: "systemd" | "openrc"; service: ServiceEntry }>;
}

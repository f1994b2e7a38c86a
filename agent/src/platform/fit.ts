// Cuts what the platform read to the protocol's bounds (protocol/bounds.ts) before it is sent.
// The host refuses an answer with a longer list or string than the bounds, so a guest with 300
// mounts or a process with a 100 KiB command line must get a shorter answer, not an invalid one:
// lists keep their first entries, strings their first characters, and `truncated` says so.
import { clip, LIST_MAX, TEXT_MAX } from "../../protocol/bounds";
import type {
  DiskUsage,
  Metrics,
  NetworkInfo,
  PackageEntry,
  PackageList,
  ProcessList,
  ServiceEntry,
  ServiceList,
  SystemInfo,
  Telemetry,
  UserSession,
} from "../../protocol/index";

/** Records whether anything was cut while one answer was fitted. */
class Cutter {
  cut = false;

  text(value: string, max: number): string {
    const kept = clip(value, max);
    if (kept !== value) this.cut = true;
    return kept;
  }

  optional(value: string | null, max: number): string | null {
    return value === null ? null : this.text(value, max);
  }

  list<T>(items: T[], max: number): T[] {
    if (items.length <= max) return items;
    this.cut = true;
    return items.slice(0, max);
  }

  /** The answer, with `truncated: true` only when something was cut (absent otherwise, as from older agents). */
  flag<T extends object>(answer: T): T & { truncated?: boolean } {
    return this.cut ? { ...answer, truncated: true } : answer;
  }
}

const { token, hostname, name, path, text } = TEXT_MAX;

export function fitSystemInfo(info: SystemInfo): SystemInfo {
  const c = new Cutter();
  return c.flag({
    ...info,
    hostname: c.text(info.hostname, hostname),
    os: {
      id: c.optional(info.os.id, name),
      name: c.optional(info.os.name, name),
      version: c.optional(info.os.version, name),
      version_id: c.optional(info.os.version_id, name),
      pretty_name: c.optional(info.os.pretty_name, name),
    },
    kernel: { name: c.text(info.kernel.name, token), release: c.text(info.kernel.release, name), version: c.text(info.kernel.version, name) },
    arch: c.text(info.arch, token),
    timezone: c.text(info.timezone, name),
    cpu: { ...info.cpu, model: c.text(info.cpu.model, name) },
  });
}

export function fitNetworkInfo(info: NetworkInfo): NetworkInfo {
  const c = new Cutter();
  const interfaces = c.list(info.interfaces, LIST_MAX.interfaces).map((iface) => ({
    ...iface,
    name: c.text(iface.name, name),
    mac: c.optional(iface.mac, token),
    oper_state: c.text(iface.oper_state, token),
    addresses: c.list(iface.addresses, LIST_MAX.addressesPerInterface).map((a) => ({ ...a, address: c.text(a.address, token) })),
  }));
  return c.flag({ interfaces });
}

export function fitDiskUsage(usage: DiskUsage): DiskUsage {
  const c = new Cutter();
  const filesystems = c.list(usage.filesystems, LIST_MAX.filesystems).map((fs) => ({
    ...fs,
    device: c.text(fs.device, path),
    mountpoint: c.text(fs.mountpoint, path),
    fstype: c.text(fs.fstype, token),
  }));
  return c.flag({ filesystems });
}

function fitMetricsWith(c: Cutter, metrics: Metrics): Metrics {
  return {
    ...metrics,
    disks: c.list(metrics.disks, LIST_MAX.metricDisks).map((d) => ({ ...d, device: c.text(d.device, name) })),
    network: c.list(metrics.network, LIST_MAX.metricInterfaces).map((n) => ({ ...n, interface: c.text(n.interface, name) })),
  };
}

/** Also what telemetry sends, to every open browser: its lists are the shortest. */
export function fitMetrics(metrics: Metrics): Metrics {
  const c = new Cutter();
  return c.flag(fitMetricsWith(c, metrics));
}

/** The filesystems come fullest first (filesystem-use.ts): the cut keeps the fullest. */
export function fitTelemetry(telemetry: Telemetry): Telemetry {
  const c = new Cutter();
  const { filesystems, ...metrics } = telemetry;
  const fitted: Telemetry = fitMetricsWith(c, metrics);
  if (filesystems) {
    fitted.filesystems = c.list(filesystems, LIST_MAX.telemetryFilesystems).map((fs) => ({ ...fs, mount: c.text(fs.mount, name) }));
  }
  return c.flag(fitted);
}

export function fitProcessList(list: ProcessList): ProcessList {
  const c = new Cutter();
  const processes = c.list(list.processes, LIST_MAX.processes).map((p) => ({
    ...p,
    user: c.text(p.user, name),
    name: c.text(p.name, name),
    command: c.text(p.command, text),
    state: c.text(p.state, token),
  }));
  return c.flag({ total: list.total, processes });
}

export function fitUsers(sessions: UserSession[]): { sessions: UserSession[]; truncated?: boolean } {
  const c = new Cutter();
  const kept = c.list(sessions, LIST_MAX.sessions).map((s) => ({
    ...s,
    user: c.text(s.user, name),
    terminal: c.text(s.terminal, token),
    host: c.optional(s.host, name),
  }));
  return c.flag({ sessions: kept });
}

// Services and packages (issue 15): sorted by name (code-unit order, the same in every locale),
// the first `limit` kept; names and descriptions come from unit files and package databases.
function byName<T extends { name: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fitService(c: Cutter, entry: ServiceEntry): ServiceEntry {
  return {
    name: c.text(entry.name, name),
    description: c.optional(entry.description, name),
    active_state: c.text(entry.active_state, token),
    sub_state: c.text(entry.sub_state, token),
    enabled_state: c.optional(entry.enabled_state, token),
  };
}

export function fitServiceList(init: ServiceList["init_system"], services: ServiceEntry[], limit: number): ServiceList {
  const c = new Cutter();
  const kept = c.list(byName(services), Math.min(limit, LIST_MAX.services)).map((entry) => fitService(c, entry));
  return c.flag({ init_system: init, services: kept });
}

/** One service's state after an action: only its strings can exceed the bounds. */
export function fitServiceEntry(entry: ServiceEntry): ServiceEntry {
  return fitService(new Cutter(), entry);
}

export function fitPackageList(manager: PackageList["manager"], packages: PackageEntry[], limit: number): PackageList {
  const c = new Cutter();
  const kept = c.list(byName(packages), Math.min(limit, LIST_MAX.packages)).map((p) => ({
    name: c.text(p.name, name),
    version: c.text(p.version, name),
    arch: c.optional(p.arch, token),
  }));
  return c.flag({ manager, packages: kept });
}

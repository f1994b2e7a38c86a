import * as z from "zod/mini";
import { lazy } from "./lazy";
import { LIST_MAX, TEXT_MAX } from "../bounds";
import { bytes, count, hostname, name, noParams, resultPath, timestamp, token, truncatedFlag } from "./common";

const optionalName = lazy(() => z.nullable(name));

export const systemInfoParams = noParams;
export const systemInfoResult = lazy(() =>
  z.object({
    hostname,
    os: z.object({
      id: optionalName.check(z.describe("e.g. debian, alpine, windows")),
      name: optionalName,
      version: optionalName,
      version_id: optionalName,
      pretty_name: optionalName,
    }),
    kernel: z.object({ name: token, release: name, version: name }),
    arch: token,
    uptime_s: z.number().check(z.nonnegative()),
    boot_time: timestamp,
    timezone: name,
    cpu: z.object({ model: name, count: count }),
    memory: z.object({ total_bytes: bytes, available_bytes: bytes }),
    truncated: truncatedFlag,
  }),
);
export type SystemInfo = z.infer<typeof systemInfoResult>;

export const networkAddress = lazy(() =>
  z.object({
    family: z.enum(["ipv4", "ipv6"]),
    address: token,
    prefix: z.int().check(z.minimum(0)).check(z.maximum(128)),
  }),
);

export const networkInterface = lazy(() =>
  z.object({
    name,
    mac: z.nullable(token),
    up: z.boolean(),
    oper_state: token.check(z.describe("e.g. up, down, unknown")),
    mtu: z.nullable(count),
    addresses: z.array(networkAddress).check(z.maxLength(LIST_MAX.addressesPerInterface)),
    rx_bytes: bytes,
    tx_bytes: bytes,
    rx_packets: count,
    tx_packets: count,
    rx_errors: count,
    tx_errors: count,
  }),
);

export const networkInfoParams = noParams;
export const networkInfoResult = lazy(() =>
  z.object({
    interfaces: z.array(networkInterface).check(z.maxLength(LIST_MAX.interfaces)),
    truncated: truncatedFlag,
  }),
);
export type NetworkInfo = z.infer<typeof networkInfoResult>;

export const filesystemEntry = lazy(() =>
  z.object({
    device: resultPath,
    mountpoint: resultPath,
    fstype: token,
    read_only: z.boolean(),
    total_bytes: bytes,
    used_bytes: bytes,
    free_bytes: bytes,
    available_bytes: bytes.check(z.describe("free space usable by unprivileged users")),
    inodes_total: count,
    inodes_used: count,
    inodes_free: count,
  }),
);

export const diskUsageParams = lazy(() =>
  z.strictObject({
    include_pseudo: z.optional(z.boolean()).check(z.describe("also list proc, sysfs, cgroup, tmpfs-like filesystems (default false)")),
  }),
);
export const diskUsageResult = lazy(() =>
  z.object({
    filesystems: z.array(filesystemEntry).check(z.maxLength(LIST_MAX.filesystems)),
    truncated: truncatedFlag,
  }),
);
export type DiskUsage = z.infer<typeof diskUsageResult>;

const perSecond = lazy(() => z.number().check(z.nonnegative()));

export const metricsParams = noParams;
export const metricsResult = lazy(() =>
  z.object({
    timestamp,
    interval_ms: z.number().check(z.nonnegative()).check(z.describe("the span the rates and CPU percentage cover")),
    cpu: z.object({ percent: z.number().check(z.minimum(0)).check(z.maximum(100)), count }),
    load: z.object({ one: z.number(), five: z.number(), fifteen: z.number() }),
    memory: z.object({
      total_bytes: bytes,
      available_bytes: bytes,
      used_bytes: bytes,
      free_bytes: bytes,
      buffers_bytes: bytes,
      cached_bytes: bytes,
      swap_total_bytes: bytes,
      swap_used_bytes: bytes,
    }),
    disks: z
      .array(
        z.object({
          device: name,
          read_bytes_per_s: perSecond,
          write_bytes_per_s: perSecond,
          reads_per_s: perSecond,
          writes_per_s: perSecond,
        }),
      )
      .check(z.maxLength(LIST_MAX.metricDisks)),
    network: z.array(z.object({ interface: name, rx_bytes_per_s: perSecond, tx_bytes_per_s: perSecond })).check(z.maxLength(LIST_MAX.metricInterfaces)),
    truncated: truncatedFlag,
  }),
);
export type Metrics = z.infer<typeof metricsResult>;

export const telemetryFilesystem = lazy(() =>
  z.object({
    mount: z.string().check(z.minLength(1)).check(z.maxLength(TEXT_MAX.name)).check(z.describe("the mount point, cut to its first 256 characters")),
    total_bytes: bytes,
    used_bytes: bytes,
    used_percent: z.number().check(z.minimum(0)).check(z.maximum(100)).check(z.describe("used / (used + available to unprivileged users), as df counts it")),
  }),
);
export type TelemetryFilesystem = z.infer<typeof telemetryFilesystem>;

/** `telemetry` carries what `get_metrics` answers, and how full the filesystems are. */
export const telemetryParams = lazy(() =>
  z.extend(metricsResult, {
    filesystems: z
      .optional(z.array(telemetryFilesystem).check(z.maxLength(LIST_MAX.telemetryFilesystems)))
      .check(
        z.describe(
          "writable filesystems with storage behind them (what get_disk_usage lists, without read-only ones), fullest first; agents without the telemetry.filesystems capability leave it out",
        ),
      ),
  }),
);
export type Telemetry = z.infer<typeof telemetryParams>;

export const processSortKeys = ["cpu", "memory", "pid", "name"] as const;

export const listProcessesParams = lazy(() =>
  z.strictObject({
    sort_by: z.optional(z.enum(processSortKeys)).check(z.describe("default cpu (highest first); pid and name sort ascending")),
    limit: z.optional(z.int().check(z.minimum(1)).check(z.maximum(LIST_MAX.processes))).check(z.describe("default 100")),
  }),
);
export const processEntry = lazy(() =>
  z.object({
    pid: count,
    ppid: count,
    user: name,
    name,
    command: z.string().check(z.maxLength(TEXT_MAX.text)).check(z.describe("the command line, cut to its first 4,096 characters")),
    state: token,
    cpu_percent: z.number().check(z.nonnegative()),
    rss_bytes: bytes,
    threads: count,
    started_at: z.nullable(timestamp),
  }),
);
export type ProcessEntry = z.infer<typeof processEntry>;
export const listProcessesResult = lazy(() =>
  z.object({
    total: count.check(z.describe("processes before the limit was applied")),
    processes: z.array(processEntry).check(z.maxLength(LIST_MAX.processes)),
    truncated: truncatedFlag,
  }),
);
export type ProcessList = z.infer<typeof listProcessesResult>;

export const usersParams = noParams;
export const userSession = lazy(() =>
  z.object({
    user: name,
    terminal: token,
    host: z.nullable(name),
    login_time: timestamp,
    pid: z.nullable(count),
  }),
);
export type UserSession = z.infer<typeof userSession>;
export const usersResult = lazy(() =>
  z.object({
    sessions: z.array(userSession).check(z.maxLength(LIST_MAX.sessions)),
    truncated: truncatedFlag,
  }),
);

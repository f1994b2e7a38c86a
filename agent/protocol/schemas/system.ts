import { z } from 'zod';
import { bytes, count, noParams, timestamp } from './common';

const optionalText = z.string().nullable();

export const systemInfoParams = noParams;
export const systemInfoResult = z.object({
  hostname: z.string(),
  os: z.object({
    id: optionalText.describe('e.g. debian, alpine, windows'),
    name: optionalText,
    version: optionalText,
    version_id: optionalText,
    pretty_name: optionalText,
  }),
  kernel: z.object({ name: z.string(), release: z.string(), version: z.string() }),
  arch: z.string(),
  uptime_s: z.number().nonnegative(),
  boot_time: timestamp,
  timezone: z.string(),
  cpu: z.object({ model: z.string(), count: count }),
  memory: z.object({ total_bytes: bytes, available_bytes: bytes }),
});
export type SystemInfo = z.infer<typeof systemInfoResult>;

export const networkAddress = z.object({
  family: z.enum(['ipv4', 'ipv6']),
  address: z.string(),
  prefix: z.number().int().min(0).max(128),
});

export const networkInfoParams = noParams;
export const networkInfoResult = z.object({
  interfaces: z.array(
    z.object({
      name: z.string(),
      mac: z.string().nullable(),
      up: z.boolean(),
      oper_state: z.string().describe('e.g. up, down, unknown'),
      mtu: count.nullable(),
      addresses: z.array(networkAddress),
      rx_bytes: bytes,
      tx_bytes: bytes,
      rx_packets: count,
      tx_packets: count,
      rx_errors: count,
      tx_errors: count,
    }),
  ),
});
export type NetworkInfo = z.infer<typeof networkInfoResult>;

export const diskUsageParams = z.strictObject({
  include_pseudo: z.boolean().optional().describe('also list proc, sysfs, cgroup, tmpfs-like filesystems (default false)'),
});
export const diskUsageResult = z.object({
  filesystems: z.array(
    z.object({
      device: z.string(),
      mountpoint: z.string(),
      fstype: z.string(),
      read_only: z.boolean(),
      total_bytes: bytes,
      used_bytes: bytes,
      free_bytes: bytes,
      available_bytes: bytes.describe('free space usable by unprivileged users'),
      inodes_total: count,
      inodes_used: count,
      inodes_free: count,
    }),
  ),
});
export type DiskUsage = z.infer<typeof diskUsageResult>;

const perSecond = z.number().nonnegative();

export const metricsParams = noParams;
export const metricsResult = z.object({
  timestamp,
  interval_ms: z.number().nonnegative().describe('the span the rates and CPU percentage cover'),
  cpu: z.object({ percent: z.number().min(0).max(100), count }),
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
  disks: z.array(
    z.object({
      device: z.string(),
      read_bytes_per_s: perSecond,
      write_bytes_per_s: perSecond,
      reads_per_s: perSecond,
      writes_per_s: perSecond,
    }),
  ),
  network: z.array(
    z.object({ interface: z.string(), rx_bytes_per_s: perSecond, tx_bytes_per_s: perSecond }),
  ),
});
export type Metrics = z.infer<typeof metricsResult>;

export const processSortKeys = ['cpu', 'memory', 'pid', 'name'] as const;

export const listProcessesParams = z.strictObject({
  sort_by: z.enum(processSortKeys).optional().describe('default cpu (highest first); pid and name sort ascending'),
  limit: z.number().int().min(1).max(10000).optional().describe('default 100'),
});
export const processEntry = z.object({
  pid: count,
  ppid: count,
  user: z.string(),
  name: z.string(),
  command: z.string(),
  state: z.string(),
  cpu_percent: z.number().nonnegative(),
  rss_bytes: bytes,
  threads: count,
  started_at: timestamp.nullable(),
});
export type ProcessEntry = z.infer<typeof processEntry>;
export const listProcessesResult = z.object({
  total: count.describe('processes before the limit was applied'),
  processes: z.array(processEntry),
});
export type ProcessList = z.infer<typeof listProcessesResult>;

export const usersParams = noParams;
export const userSession = z.object({
  user: z.string(),
  terminal: z.string(),
  host: z.string().nullable(),
  login_time: timestamp,
  pid: count.nullable(),
});
export type UserSession = z.infer<typeof userSession>;
export const usersResult = z.object({ sessions: z.array(userSession) });

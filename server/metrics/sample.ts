/**
 * The monitoring contract: what one collector tick measures, and the one table of metrics that
 * history, alert rules, insights and the Prometheus exposition are all derived from. Pure and
 * client-safe (the alert-rule editor lists METRICS). A figure is null when it cannot be known this
 * tick (the first tick of a VM has no rates; a guest without our agent has no guest figures).
 */

/** Where a figure comes from: libvirt on the host, or our agent inside the guest (its `telemetry`). */
export type MetricSource = "libvirt" | "guest";
export type MetricUnit = "percent" | "bytes" | "bytesPerSecond" | "perSecond";
export type MetricSubject = "vm" | "host";

export interface MetricSpec {
  subject: MetricSubject;
  unit: MetricUnit;
  source: MetricSource;
  /** The Prometheus name (`kvmm_` prefix, base units, as its conventions ask). */
  prometheus: string;
}

/** Every collected metric by its stable key: stored in history rows and alert rules, so never renamed. */
export const METRICS = {
  "vm.cpu": { subject: "vm", unit: "percent", source: "libvirt", prometheus: "kvmm_vm_cpu_percent" },
  "vm.memory.used": { subject: "vm", unit: "bytes", source: "libvirt", prometheus: "kvmm_vm_memory_used_bytes" },
  "vm.memory.total": { subject: "vm", unit: "bytes", source: "libvirt", prometheus: "kvmm_vm_memory_total_bytes" },
  "vm.disk.read": { subject: "vm", unit: "bytesPerSecond", source: "libvirt", prometheus: "kvmm_vm_disk_read_bytes_per_second" },
  "vm.disk.write": { subject: "vm", unit: "bytesPerSecond", source: "libvirt", prometheus: "kvmm_vm_disk_write_bytes_per_second" },
  "vm.disk.readOps": { subject: "vm", unit: "perSecond", source: "libvirt", prometheus: "kvmm_vm_disk_read_ops_per_second" },
  "vm.disk.writeOps": { subject: "vm", unit: "perSecond", source: "libvirt", prometheus: "kvmm_vm_disk_write_ops_per_second" },
  "vm.net.rx": { subject: "vm", unit: "bytesPerSecond", source: "libvirt", prometheus: "kvmm_vm_network_receive_bytes_per_second" },
  "vm.net.tx": { subject: "vm", unit: "bytesPerSecond", source: "libvirt", prometheus: "kvmm_vm_network_transmit_bytes_per_second" },
  "vm.guest.cpu": { subject: "vm", unit: "percent", source: "guest", prometheus: "kvmm_vm_guest_cpu_percent" },
  "vm.guest.memory": { subject: "vm", unit: "percent", source: "guest", prometheus: "kvmm_vm_guest_memory_used_percent" },
  /** The fullest of the guest's filesystems (the per-filesystem figures are in the sample). */
  "vm.guest.filesystem": { subject: "vm", unit: "percent", source: "guest", prometheus: "kvmm_vm_guest_filesystem_used_percent_max" },
  "host.cpu": { subject: "host", unit: "percent", source: "libvirt", prometheus: "kvmm_host_cpu_percent" },
  "host.memory.used": { subject: "host", unit: "bytes", source: "libvirt", prometheus: "kvmm_host_memory_used_bytes" },
  "host.memory.total": { subject: "host", unit: "bytes", source: "libvirt", prometheus: "kvmm_host_memory_total_bytes" },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;
export type VmMetricKey = { [K in MetricKey]: (typeof METRICS)[K]["subject"] extends "vm" ? K : never }[MetricKey];
export type HostMetricKey = { [K in MetricKey]: (typeof METRICS)[K]["subject"] extends "host" ? K : never }[MetricKey];

export const METRIC_KEYS = Object.keys(METRICS) as MetricKey[];

export interface GuestFilesystemUse {
  mount: string;
  usedPercent: number;
}

/** One VM at one tick. `values` has every vm.* key; null = unknown this tick. */
export interface VmSample {
  hostId: string;
  uuid: string;
  name: string;
  /** Milliseconds since the epoch when the host answered. */
  at: number;
  running: boolean;
  values: Record<VmMetricKey, number | null>;
  /** Per-filesystem use from our agent, bounded (at most 32 entries, mount ≤ 256 chars); empty without it. */
  filesystems: GuestFilesystemUse[];
}

export interface PoolUse {
  name: string;
  capacityBytes: number;
  allocationBytes: number;
}

/** One host at one tick. An unreachable host has every value null and no VMs in its tick. */
export interface HostSample {
  hostId: string;
  at: number;
  reachable: boolean;
  values: Record<HostMetricKey, number | null>;
  pools: PoolUse[];
}

/** What one tick of one host produced: the unit history stores, alerts evaluate and browsers receive. */
export interface MetricsTick {
  host: HostSample;
  vms: VmSample[];
}

/**
 * The latest collector ticks in Prometheus's text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). Pure: the `/metrics` route
 * decides whose ticks these are; this only writes them.
 *
 * Every figure is a gauge: the collector already turned libvirt's counters into rates over its
 * real interval, and a figure that is a rate is named so (`_per_second`). A null figure (unknown
 * this tick) is left out, never written as 0: a missing series is "no data", a 0 would be a lie.
 *
 * No sample carries a timestamp. The figures are at most one collector interval old, so the
 * scrape's own time is right to within that; and a sample with an explicit timestamp opts out of
 * Prometheus's staleness handling, so a VM that disappeared (deleted, or its host unreachable)
 * would linger in queries for five minutes instead of ending at the next scrape. An explicit
 * timestamp older than the TSDB head would also be dropped as out of bounds after a long pause.
 */
import { METRICS, METRIC_KEYS, type HostMetricKey, type HostSample, type MetricKey, type VmMetricKey, type VmSample } from "./sample";

/** The content type a 0.0.4 exposition is served with. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const HELP: Readonly<Record<MetricKey, string>> = {
  "vm.cpu": "CPU use of the VM as the host sees it, in percent.",
  "vm.memory.used": "Memory the VM uses (balloon statistics, or the guest agent's figure where it reports one), in bytes.",
  "vm.memory.total": "Memory the VM has, in bytes.",
  "vm.disk.read": "Bytes read from the VM's disks per second.",
  "vm.disk.write": "Bytes written to the VM's disks per second.",
  "vm.disk.readOps": "Read operations on the VM's disks per second.",
  "vm.disk.writeOps": "Write operations on the VM's disks per second.",
  "vm.net.rx": "Bytes the VM's network cards received per second.",
  "vm.net.tx": "Bytes the VM's network cards transmitted per second.",
  "vm.guest.cpu": "CPU use inside the guest, in percent, as reported by the KVM Manager agent.",
  "vm.guest.memory": "Memory use inside the guest, in percent, as reported by the KVM Manager agent.",
  "vm.guest.filesystem": "Use of the guest's fullest filesystem, in percent, as reported by the KVM Manager agent.",
  "host.cpu": "CPU use of the host, in percent of all its CPUs.",
  "host.memory.used": "Memory in use on the host, in bytes.",
  "host.memory.total": "Memory of the host, in bytes.",
};

/** Families that are not keys of METRICS: they come from the ticks' other fields. */
const EXTRA = {
  hostUp: { name: "kvmm_host_up", help: "Whether the host answered the collector's last tick (1) or not (0)." },
  vmRunning: { name: "kvmm_vm_running", help: "Whether the VM is running (1) or not (0)." },
  filesystem: { name: "kvmm_vm_guest_filesystem_used_percent", help: "Use of one guest filesystem, in percent, as reported by the KVM Manager agent." },
  poolCapacity: { name: "kvmm_host_pool_capacity_bytes", help: "Capacity of a storage pool on the host, in bytes." },
  poolAllocation: { name: "kvmm_host_pool_allocation_bytes", help: "Space allocated in a storage pool on the host, in bytes." },
} as const;

const HOST_KEYS = METRIC_KEYS.filter((k): k is HostMetricKey => METRICS[k].subject === "host");
const VM_KEYS = METRIC_KEYS.filter((k): k is VmMetricKey => METRICS[k].subject === "vm");

/**
 * A collector tick (MetricsTick) as one reader may see it: `host` is null when the reader may see
 * some of the host's VMs but not the host's own figures (server/metrics/scope.ts).
 */
export interface ExposedTick {
  host: HostSample | null;
  vms: readonly VmSample[];
}

type Labels = ReadonlyArray<readonly [string, string]>;

interface Family {
  name: string;
  help: string;
  samples: string[];
}

/** A label value as the format asks: backslash, double quote and line feed escaped, nothing else. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes only backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A float as Go's ParseFloat (Prometheus's parser) reads it; infinities have their own spelling. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function sample(name: string, labels: Labels, value: number): string {
  const body = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
  return `${name}{${body}} ${formatValue(value)}`;
}

/**
 * The exposition of the given ticks (one per host, the newest): a `# HELP` and `# TYPE` line once
 * per family, then its samples, every family's samples together as the format requires.
 * Families are written even without samples, so a scraper sees the same metadata whatever the
 * state of the hosts.
 */
export function renderExposition(ticks: readonly ExposedTick[]): string {
  const families = new Map<string, Family>();
  const declare = (name: string, help: string) => families.set(name, { name, help, samples: [] });
  declare(EXTRA.hostUp.name, EXTRA.hostUp.help);
  for (const key of METRIC_KEYS) declare(METRICS[key].prometheus, HELP[key]);
  for (const extra of [EXTRA.vmRunning, EXTRA.filesystem, EXTRA.poolCapacity, EXTRA.poolAllocation]) declare(extra.name, extra.help);
  const add = (name: string, labels: Labels, value: number) => families.get(name)!.samples.push(sample(name, labels, value));

  for (const { host, vms } of ticks) {
    if (host) writeHost(host);
    for (const vm of vms) writeVm(vm);
  }

  function writeHost(host: HostSample) {
    const hostLabels: Labels = [["host", host.hostId]];
    add(EXTRA.hostUp.name, hostLabels, host.reachable ? 1 : 0);
    for (const key of HOST_KEYS) {
      const value = host.values[key];
      if (value !== null) add(METRICS[key].prometheus, hostLabels, value);
    }
    for (const pool of host.pools) {
      const labels: Labels = [...hostLabels, ["pool", pool.name]];
      add(EXTRA.poolCapacity.name, labels, pool.capacityBytes);
      add(EXTRA.poolAllocation.name, labels, pool.allocationBytes);
    }
  }

  function writeVm(vm: VmSample) {
    const vmLabels: Labels = [
      ["host", vm.hostId],
      ["vm", vm.name],
      ["uuid", vm.uuid],
    ];
    add(EXTRA.vmRunning.name, vmLabels, vm.running ? 1 : 0);
    for (const key of VM_KEYS) {
      const value = vm.values[key];
      if (value !== null) add(METRICS[key].prometheus, vmLabels, value);
    }
    for (const fs of vm.filesystems) {
      add(EXTRA.filesystem.name, [...vmLabels, ["mount", fs.mount]], fs.usedPercent);
    }
  }

  const lines: string[] = [];
  for (const f of families.values()) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`, ...f.samples);
  }
  // The format wants every line, the last one too, to end in a line feed.
  return lines.join("\n") + "\n";
}

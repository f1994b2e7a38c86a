/**
 * Pure arithmetic of the collector: the counters libvirt reports for one VM or host at one moment,
 * and the figures of a tick from two such moments. Rates are over the real time between the two
 * samples (a late tick divides by the longer interval); a counter that went backwards (the VM
 * restarted, the host's libvirtd was replaced) gives no rate for that interval rather than a
 * negative or huge one.
 */
import type { TypedParams } from "../libvirt/typed-params";
import type { GuestFilesystemUse, HostMetricKey, VmMetricKey } from "./sample";

/** The cumulative counters of one domain at one moment, as CONNECT_GET_ALL_DOMAIN_STATS reports them. */
export interface VmCounters {
  /** Milliseconds since the epoch when the host answered. */
  at: number;
  cpuTimeNs: number;
  vcpus: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  diskReadOps: number;
  diskWriteOps: number;
  netRxBytes: number;
  netTxBytes: number;
}

function num(params: TypedParams, key: string): number {
  const v = params[key];
  return typeof v === "bigint" ? Number(v) : typeof v === "number" ? v : 0;
}

function sumIndexed(params: TypedParams, group: "block" | "net", field: string): number {
  const count = num(params, `${group}.count`);
  let total = 0;
  for (let i = 0; i < count; i++) total += num(params, `${group}.${i}.${field}`);
  return total;
}

export function countersFromStats(params: TypedParams, at: number): VmCounters {
  return {
    at,
    cpuTimeNs: num(params, "cpu.time"),
    vcpus: num(params, "vcpu.current") || 1,
    diskReadBytes: sumIndexed(params, "block", "rd.bytes"),
    diskWriteBytes: sumIndexed(params, "block", "wr.bytes"),
    diskReadOps: sumIndexed(params, "block", "rd.reqs"),
    diskWriteOps: sumIndexed(params, "block", "wr.reqs"),
    netRxBytes: sumIndexed(params, "net", "rx.bytes"),
    netTxBytes: sumIndexed(params, "net", "tx.bytes"),
  };
}

/**
 * Memory the guest really uses, KiB: the balloon driver's figures when it reports them; else our
 * agent's in-guest use (`guestPercent`) of the VM's memory; else QEMU's resident size, which also
 * counts QEMU itself and TCG's code cache (a 512 MiB guest without a balloon driver read 617 MiB).
 */
export function memoryUsedKiB(params: TypedParams, guestPercent: number | null = null): number | null {
  const available = num(params, "balloon.available");
  const unused = num(params, "balloon.unused");
  if (available > 0 && unused > 0) return available - unused;
  const total = memoryTotalKiB(params);
  if (guestPercent !== null && total !== null) return Math.round((total * guestPercent) / 100);
  const rss = num(params, "balloon.rss");
  return rss > 0 ? rss : null;
}

/** The memory the VM has now (its balloon), else its maximum. KiB. */
export function memoryTotalKiB(params: TypedParams): number | null {
  const total = num(params, "balloon.current") || num(params, "balloon.maximum");
  return total > 0 ? total : null;
}

function rate(delta: number, seconds: number): number | null {
  return delta >= 0 ? delta / seconds : null;
}

export type VmRates = Pick<
  Record<VmMetricKey, number | null>,
  "vm.cpu" | "vm.disk.read" | "vm.disk.write" | "vm.disk.readOps" | "vm.disk.writeOps" | "vm.net.rx" | "vm.net.tx"
>;

export const NO_RATES: VmRates = {
  "vm.cpu": null,
  "vm.disk.read": null,
  "vm.disk.write": null,
  "vm.disk.readOps": null,
  "vm.disk.writeOps": null,
  "vm.net.rx": null,
  "vm.net.tx": null,
};

/** Rates between two samples of a running VM; all null without an earlier sample. */
export function vmRates(prev: VmCounters | undefined, cur: VmCounters): VmRates {
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0;
  if (!prev || !(seconds > 0)) return NO_RATES;
  const cpuDelta = cur.cpuTimeNs - prev.cpuTimeNs;
  return {
    // Share of the VM's vCPUs in use, 0–100.
    "vm.cpu": cpuDelta >= 0 ? Math.min(100, (cpuDelta / (seconds * 1e9 * cur.vcpus)) * 100) : null,
    "vm.disk.read": rate(cur.diskReadBytes - prev.diskReadBytes, seconds),
    "vm.disk.write": rate(cur.diskWriteBytes - prev.diskWriteBytes, seconds),
    "vm.disk.readOps": rate(cur.diskReadOps - prev.diskReadOps, seconds),
    "vm.disk.writeOps": rate(cur.diskWriteOps - prev.diskWriteOps, seconds),
    "vm.net.rx": rate(cur.netRxBytes - prev.netRxBytes, seconds),
    "vm.net.tx": rate(cur.netTxBytes - prev.netTxBytes, seconds),
  };
}

/** The host's cumulative CPU times (ns, all CPUs), from NODE_GET_CPU_STATS. */
export interface HostCpuCounters {
  busyNs: number;
  totalNs: number;
}

export function hostCpuCounters(fields: readonly { field: string; value: bigint }[]): HostCpuCounters | null {
  const by = new Map(fields.map((f) => [f.field, Number(f.value)]));
  const busy = (by.get("kernel") ?? 0) + (by.get("user") ?? 0);
  const total = busy + (by.get("idle") ?? 0) + (by.get("iowait") ?? 0);
  return total > 0 ? { busyNs: busy, totalNs: total } : null;
}

/** Share of all the host's CPUs busy between two samples, 0–100. */
export function hostCpuPercent(prev: HostCpuCounters | undefined, cur: HostCpuCounters | null): number | null {
  if (!prev || !cur) return null;
  const total = cur.totalNs - prev.totalNs;
  const busy = cur.busyNs - prev.busyNs;
  if (!(total > 0) || busy < 0) return null;
  return Math.min(100, (busy / total) * 100);
}

/** Used and total memory in bytes from NODE_GET_MEMORY_STATS (KiB fields): page cache and buffers count as free. */
export function hostMemory(
  fields: readonly { field: string; value: bigint }[],
): Pick<Record<HostMetricKey, number | null>, "host.memory.used" | "host.memory.total"> {
  const by = new Map(fields.map((f) => [f.field, Number(f.value)]));
  const total = by.get("total");
  const free = by.get("free");
  if (total === undefined || free === undefined || total <= 0) return { "host.memory.used": null, "host.memory.total": null };
  const used = Math.max(0, total - free - (by.get("buffers") ?? 0) - (by.get("cached") ?? 0));
  return { "host.memory.used": used * 1024, "host.memory.total": total * 1024 };
}

/** What our agent last reported from inside a guest, bounded and checked (see guest-telemetry.ts). */
export interface GuestFigures {
  /** When the host received it, ms since the epoch. */
  receivedAt: number;
  /** How often the agent sends it: figures older than a few of these are stale. */
  intervalMs: number;
  cpuPercent: number | null;
  memoryPercent: number | null;
  filesystems: GuestFilesystemUse[];
}

import type { TypedParams } from "../libvirt/typed-params";

/** The counters of one domain at one moment, as CONNECT_GET_ALL_DOMAIN_STATS reports them. */
export interface UsageSample {
  at: number;
  cpuTimeNs: number;
  vcpus: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

export interface VmUsage {
  /** Share of the VM's vCPUs in use since the previous sample, 0–100; null until two samples exist. */
  cpuPercent: number | null;
  memoryUsedKiB: number | null;
  diskReadBps: number | null;
  diskWriteBps: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
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

export function sampleFromStats(params: TypedParams, at: number): UsageSample {
  return {
    at,
    cpuTimeNs: num(params, "cpu.time"),
    vcpus: num(params, "vcpu.current") || 1,
    diskReadBytes: sumIndexed(params, "block", "rd.bytes"),
    diskWriteBytes: sumIndexed(params, "block", "wr.bytes"),
    netRxBytes: sumIndexed(params, "net", "rx.bytes"),
    netTxBytes: sumIndexed(params, "net", "tx.bytes"),
  };
}

/** Memory the guest really uses when the balloon driver reports it; otherwise QEMU's resident size. */
export function memoryUsedKiB(params: TypedParams): number | null {
  const available = num(params, "balloon.available");
  const unused = num(params, "balloon.unused");
  if (available > 0 && unused > 0) return available - unused;
  const rss = num(params, "balloon.rss");
  return rss > 0 ? rss : null;
}

function rate(delta: number, seconds: number): number | null {
  // A counter that went backwards means the VM restarted: no honest rate for this interval.
  return delta >= 0 ? delta / seconds : null;
}

export function computeUsage(prev: UsageSample | undefined, cur: UsageSample, memUsed: number | null): VmUsage {
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0;
  if (!prev || seconds <= 0) {
    return { cpuPercent: null, memoryUsedKiB: memUsed, diskReadBps: null, diskWriteBps: null, netRxBps: null, netTxBps: null };
  }
  const cpuDelta = cur.cpuTimeNs - prev.cpuTimeNs;
  const cpuPercent = cpuDelta >= 0 ? Math.min(100, (cpuDelta / (seconds * 1e9 * cur.vcpus)) * 100) : null;
  return {
    cpuPercent,
    memoryUsedKiB: memUsed,
    diskReadBps: rate(cur.diskReadBytes - prev.diskReadBytes, seconds),
    diskWriteBps: rate(cur.diskWriteBytes - prev.diskWriteBytes, seconds),
    netRxBps: rate(cur.netRxBytes - prev.netRxBytes, seconds),
    netTxBps: rate(cur.netTxBytes - prev.netTxBytes, seconds),
  };
}

/** Rates span at least this long, however soon one list follows another. */
export const MIN_RATE_WINDOW_MS = 2_000;
/** Samples kept per VM: enough to always hold one at least MIN_RATE_WINDOW_MS old. */
const MAX_SAMPLES = 16;

export interface VmObservation {
  uuid: string;
  sample: UsageSample;
  memoryUsedKiB: number | null;
  /** A VM that is not running has no rates, and its counters start over when it starts. */
  running: boolean;
}

/**
 * The counters each VM had at recent lists, so one stats call can give rates. A rate is measured
 * against the newest sample at least MIN_RATE_WINDOW_MS old, so two browser tabs listing a moment
 * apart both see the rate over the same window (before, the second saw the CPU used in the few
 * milliseconds since the first). Owned by the VM service; the collector of the monitoring issue
 * will take over from it.
 */
export class UsageTracker {
  private readonly samples = new Map<string, UsageSample[]>();

  /** Usage of each VM of one host from this stats call; VMs the host no longer lists are forgotten. */
  update(hostId: string, vms: readonly VmObservation[]): Map<string, VmUsage> {
    const seen = new Set<string>();
    const result = new Map<string, VmUsage>();
    for (const vm of vms) {
      const key = `${hostId}/${vm.uuid}`;
      seen.add(key);
      result.set(vm.uuid, this.observe(key, vm));
    }
    for (const key of this.samples.keys()) if (key.startsWith(`${hostId}/`) && !seen.has(key)) this.samples.delete(key);
    return result;
  }

  private observe(key: string, vm: VmObservation): VmUsage {
    if (!vm.running) {
      this.samples.delete(key);
      return computeUsage(undefined, vm.sample, null);
    }
    const history = this.samples.get(key) ?? [];
    const baseline = history.findLast((s) => vm.sample.at - s.at >= MIN_RATE_WINDOW_MS);
    const usage = computeUsage(baseline, vm.sample, vm.memoryUsedKiB);
    // Keep the baseline and everything newer; older samples can no longer be the newest old-enough one.
    const kept = baseline ? history.slice(history.indexOf(baseline)) : history;
    this.samples.set(key, [...kept, vm.sample].slice(-MAX_SAMPLES));
    return usage;
  }
}

/**
 * What browsers receive of a tick ("metrics.tick" on the event stream) and what `vms.list`
 * answers as a VM's usage: the figures only, rounded, and only for running VMs, so a tick of a
 * host with 1,000 VMs stays around 100 KB and one of a host with a few VMs a few hundred bytes.
 * Client-safe (types and pure functions).
 */
import type { MetricsTick, VmSample } from "./sample";

/** One running VM's usage at one tick; null = not known this tick (rates need two samples). */
export interface LiveVmUsage {
  uuid: string;
  name: string;
  /** Share of its vCPUs in use, 0–100, one decimal. */
  cpu: number | null;
  memoryUsed: number | null;
  memoryTotal: number | null;
  /** Bytes per second. */
  diskRead: number | null;
  diskWrite: number | null;
  netRx: number | null;
  netTx: number | null;
}

export interface LiveHostUsage {
  cpu: number | null;
  memoryUsed: number | null;
  memoryTotal: number | null;
}

export interface LiveTick {
  hostId: string;
  /** Milliseconds since the epoch when the host answered. */
  at: number;
  reachable: boolean;
  host: LiveHostUsage;
  vms: LiveVmUsage[];
}

function round(value: number | null, places = 0): number | null {
  if (value === null) return null;
  const f = 10 ** places;
  return Math.round(value * f) / f;
}

export function liveVmUsage(vm: VmSample): LiveVmUsage {
  const v = vm.values;
  return {
    uuid: vm.uuid,
    name: vm.name,
    cpu: round(v["vm.cpu"], 1),
    memoryUsed: round(v["vm.memory.used"]),
    memoryTotal: round(v["vm.memory.total"]),
    diskRead: round(v["vm.disk.read"]),
    diskWrite: round(v["vm.disk.write"]),
    netRx: round(v["vm.net.rx"]),
    netTx: round(v["vm.net.tx"]),
  };
}

export function liveTick(tick: MetricsTick): LiveTick {
  const h = tick.host.values;
  return {
    hostId: tick.host.hostId,
    at: tick.host.at,
    reachable: tick.host.reachable,
    host: { cpu: round(h["host.cpu"], 1), memoryUsed: round(h["host.memory.used"]), memoryTotal: round(h["host.memory.total"]) },
    vms: tick.vms.filter((vm) => vm.running).map(liveVmUsage),
  };
}

/** A VM's usage as the VM list shows it: from the collector's latest tick, all null before one exists. */
export interface VmUsage {
  /** Share of the VM's vCPUs in use, 0–100; null until two samples exist. */
  cpuPercent: number | null;
  memoryUsedKiB: number | null;
  diskReadBps: number | null;
  diskWriteBps: number | null;
  netRxBps: number | null;
  netTxBps: number | null;
}

export const NO_USAGE: VmUsage = { cpuPercent: null, memoryUsedKiB: null, diskReadBps: null, diskWriteBps: null, netRxBps: null, netTxBps: null };

export function vmUsageOf(live: LiveVmUsage): VmUsage {
  return {
    cpuPercent: live.cpu,
    memoryUsedKiB: live.memoryUsed === null ? null : Math.round(live.memoryUsed / 1024),
    diskReadBps: live.diskRead,
    diskWriteBps: live.diskWrite,
    netRxBps: live.netRx,
    netTxBps: live.netTx,
  };
}

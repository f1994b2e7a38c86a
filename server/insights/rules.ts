/**
 * The insights' pure core: what the gatherer read (hosts, their VMs, hourly history, agent sightings,
 * snapshot times) in, the insights and what is still waiting for history out. No I/O and no clock of
 * its own (`now` is passed), so each rule is tested on synthetic inputs. Client-safe (the pages import
 * the types).
 */
import { HISTORY_DAYS_NEEDED, HISTORY_INSIGHT_KINDS, INSIGHT_SEVERITIES, type HistoryInsightKind, type InsightKind, type InsightSeverity } from "./kinds";

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** "Oversized": every hour of the last 7 days averaged strictly under this CPU %. */
export const OVERSIZED_CPU_PERCENT = 5;
/** The suggested vCPU count carries the 7 days' peak at no more than this share of each vCPU. */
export const SUGGESTED_PEAK_SHARE = 0.8;
/** "Undersized": every hour of the last day averaged strictly above this memory %. */
export const UNDERSIZED_MEMORY_PERCENT = 90;
/** A filesystem expected to be full within this many days is reported; within the second, as critical. */
export const FILESYSTEM_HORIZON_DAYS = 30;
export const FILESYSTEM_CRITICAL_DAYS = 7;
/** A VM whose newest snapshot is older than this (or that has none) is reported. */
export const SNAPSHOT_MAX_AGE_DAYS = 30;
/** A running VM with neither agent connected now nor seen connected within this many days has "no agent". */
export const AGENT_SEEN_DAYS = 7;
/**
 * The share of a window's hours that must carry the figure: a VM that was off for a day of the seven
 * was not measured idle for seven days, and one telemetry-less day is not a trend.
 */
export const MIN_COVERAGE = 0.9;

/** One hour of one VM from the 1-hour rollups; null where nothing was measured that hour. */
export interface HourFigures {
  /** The hour's start (ms since the epoch). */
  at: number;
  /** vm.cpu: the hour's average and its highest sample, % of the VM's vCPUs. */
  cpuAvg: number | null;
  cpuMax: number | null;
  /** Memory in use, %: the guest's own figure (our agent) where it sent one, else the balloon's used / total. */
  memoryPercent: number | null;
  /** vm.guest.filesystem: the fullest guest filesystem's use, % (the hour's average). */
  filesystemPercent: number | null;
}

export interface VmHistoryInput {
  /** The start of the VM's oldest hour in the history; null when it has none. */
  since: number | null;
  /** Hours in time order, at least the last 7 days' (the longest window a rule reads). */
  hours: HourFigures[];
}

/** What the guest hub knows of the VM's agents; null when the hub does not watch the VM (unknown). */
export interface AgentInput {
  /** Our agent or qemu-guest-agent is connected now. */
  connectedNow: boolean;
  /** When each was last seen connected by this manager (ms), null for never. */
  agentSeenAt: number | null;
  qgaSeenAt: number | null;
  /** Whether the VM has the channel each needs. */
  agentChannel: boolean;
  qgaChannel: boolean;
}

/** The VM's libvirt snapshots; null when they could not be read. */
export interface SnapshotInput {
  count: number;
  /** The newest snapshot's creation time (ms), null when it has none. */
  newestAt: number | null;
}

export interface VmInput {
  hostId: string;
  uuid: string;
  name: string;
  running: boolean;
  vcpus: number;
  /** The VM's configured (maximum) memory. */
  memoryBytes: number;
  history: VmHistoryInput;
  agent: AgentInput | null;
  snapshots: SnapshotInput | null;
}

export interface HostInput {
  hostId: string;
  /** The host's physical memory; null when unknown (the host did not answer). */
  memoryBytes: number | null;
  /** Every VM defined on the host, running or not. */
  vms: VmInput[];
}

export type InsightFigures =
  | { kind: "vm.oversized"; days: number; averageCpu: number; peakCpu: number; vcpus: number; suggestedVcpus: number }
  | { kind: "vm.undersized"; days: number; averageMemory: number; lowestMemory: number; memoryBytes: number }
  | { kind: "vm.filesystemFull"; days: number; usedPercent: number; percentPerDay: number; daysUntilFull: number }
  | { kind: "vm.noAgent"; lastSeenAt: number | null; agentChannel: boolean; qgaChannel: boolean }
  | { kind: "vm.noSnapshot"; days: number; snapshots: number; newestAt: number | null }
  | {
      kind: "host.overcommit";
      figure: "running" | "defined";
      committedBytes: number;
      hostBytes: number;
      percent: number;
      runningBytes: number;
      definedBytes: number;
    };

export interface Insight {
  kind: InsightKind;
  severity: InsightSeverity;
  hostId: string;
  /** The VM it is about; null for a host insight. */
  uuid: string | null;
  vmName: string | null;
  figures: InsightFigures;
}

/** A history-based kind that could not judge some VMs yet: they have less history than it needs. */
export interface HistoryWait {
  kind: HistoryInsightKind;
  daysNeeded: number;
  vms: number;
}

/** A host whose VMs could not be read this run: none of its insights are known. */
export interface FailedHost {
  hostId: string;
  error: string;
}

export interface InsightReport {
  at: number;
  insights: Insight[];
  waiting: HistoryWait[];
  failedHosts: FailedHost[];
}

/** The hours of [end − days, end), where `end` is the start of the current hour (its bucket is not complete yet). */
function windowOf(history: VmHistoryInput, now: number, days: number) {
  const end = Math.floor(now / HOUR_MS) * HOUR_MS;
  const start = end - days * DAY_MS;
  const enough = history.since !== null && history.since <= start;
  return { enough, hours: history.hours.filter((h) => h.at >= start && h.at < end), needed: days * 24 };
}

function measured<K extends keyof HourFigures>(hours: HourFigures[], key: K): { at: number; value: number }[] {
  return hours.flatMap((h) => (h[key] === null ? [] : [{ at: h.at, value: h[key] as number }]));
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export function oversized(vm: VmInput, now: number): Insight | null {
  const days = HISTORY_DAYS_NEEDED["vm.oversized"];
  // One vCPU cannot become fewer.
  if (vm.vcpus < 2) return null;
  const w = windowOf(vm.history, now, days);
  const cpu = measured(w.hours, "cpuAvg");
  if (!w.enough || cpu.length < w.needed * MIN_COVERAGE) return null;
  if (!cpu.every((h) => h.value < OVERSIZED_CPU_PERCENT)) return null;
  const peakCpu = Math.max(...w.hours.map((h) => h.cpuMax ?? h.cpuAvg ?? 0));
  const suggestedVcpus = Math.max(1, Math.min(vm.vcpus - 1, Math.ceil((vm.vcpus * peakCpu) / 100 / SUGGESTED_PEAK_SHARE)));
  return vmInsight(vm, "info", { kind: "vm.oversized", days, averageCpu: mean(cpu.map((h) => h.value)), peakCpu, vcpus: vm.vcpus, suggestedVcpus });
}

export function undersized(vm: VmInput, now: number): Insight | null {
  const days = HISTORY_DAYS_NEEDED["vm.undersized"];
  const w = windowOf(vm.history, now, days);
  const memory = measured(w.hours, "memoryPercent").map((h) => h.value);
  if (!w.enough || memory.length < w.needed * MIN_COVERAGE) return null;
  if (!memory.every((v) => v > UNDERSIZED_MEMORY_PERCENT)) return null;
  return vmInsight(vm, "warning", { kind: "vm.undersized", days, averageMemory: mean(memory), lowestMemory: Math.min(...memory), memoryBytes: vm.memoryBytes });
}

/**
 * Days until the series reaches 100 %, from its least-squares slope and its latest value; null when
 * it is flat or shrinking (it never fills at this rate) or has fewer than two points.
 */
export function daysUntilFull(points: { at: number; value: number }[]): { percentPerDay: number; usedPercent: number; days: number } | null {
  if (points.length < 2) return null;
  const xs = points.map((p) => p.at / DAY_MS);
  const ys = points.map((p) => p.value);
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  if (den === 0) return null;
  const percentPerDay = num / den;
  if (!(percentPerDay > 0)) return null;
  const usedPercent = ys.at(-1)!;
  return { percentPerDay, usedPercent, days: Math.max(0, (100 - usedPercent) / percentPerDay) };
}

export function filesystemFull(vm: VmInput, now: number): Insight | null {
  const days = HISTORY_DAYS_NEEDED["vm.filesystemFull"];
  const w = windowOf(vm.history, now, days);
  const fs = measured(w.hours, "filesystemPercent");
  if (!w.enough || fs.length < w.needed * MIN_COVERAGE) return null;
  const trend = daysUntilFull(fs);
  if (!trend || trend.days > FILESYSTEM_HORIZON_DAYS) return null;
  return vmInsight(vm, trend.days <= FILESYSTEM_CRITICAL_DAYS ? "critical" : "warning", {
    kind: "vm.filesystemFull",
    days,
    usedPercent: trend.usedPercent,
    percentPerDay: trend.percentPerDay,
    daysUntilFull: trend.days,
  });
}

export function noAgent(vm: VmInput, now: number): Insight | null {
  // A stopped VM runs no agent, and a VM the hub does not watch is unknown: neither is judged.
  if (!vm.running || vm.agent === null || vm.agent.connectedNow) return null;
  const seen = [vm.agent.agentSeenAt, vm.agent.qgaSeenAt].filter((at): at is number => at !== null);
  const lastSeenAt = seen.length > 0 ? Math.max(...seen) : null;
  if (lastSeenAt !== null && lastSeenAt >= now - AGENT_SEEN_DAYS * DAY_MS) return null;
  return vmInsight(vm, "info", { kind: "vm.noAgent", lastSeenAt, agentChannel: vm.agent.agentChannel, qgaChannel: vm.agent.qgaChannel });
}

export function noSnapshot(vm: VmInput, now: number): Insight | null {
  if (vm.snapshots === null) return null;
  const { count, newestAt } = vm.snapshots;
  if (newestAt !== null && newestAt >= now - SNAPSHOT_MAX_AGE_DAYS * DAY_MS) return null;
  return vmInsight(vm, "info", { kind: "vm.noSnapshot", days: SNAPSHOT_MAX_AGE_DAYS, snapshots: count, newestAt });
}

/**
 * The memory the host's VMs are configured with against the host's own: the running VMs' sum over it
 * is a warning (they can claim more than there is now); only all defined VMs' sum over it is
 * information (starting them all would be).
 */
export function overcommit(host: HostInput): Insight | null {
  if (host.memoryBytes === null || !(host.memoryBytes > 0)) return null;
  const runningBytes = host.vms.filter((vm) => vm.running).reduce((n, vm) => n + vm.memoryBytes, 0);
  const definedBytes = host.vms.reduce((n, vm) => n + vm.memoryBytes, 0);
  const figure = runningBytes > host.memoryBytes ? "running" : definedBytes > host.memoryBytes ? "defined" : null;
  if (figure === null) return null;
  const committedBytes = figure === "running" ? runningBytes : definedBytes;
  return {
    kind: "host.overcommit",
    severity: figure === "running" ? "warning" : "info",
    hostId: host.hostId,
    uuid: null,
    vmName: null,
    figures: {
      kind: "host.overcommit",
      figure,
      committedBytes,
      hostBytes: host.memoryBytes,
      percent: (committedBytes / host.memoryBytes) * 100,
      runningBytes,
      definedBytes,
    },
  };
}

function vmInsight(vm: VmInput, severity: InsightSeverity, figures: InsightFigures): Insight {
  return { kind: figures.kind, severity, hostId: vm.hostId, uuid: vm.uuid, vmName: vm.name, figures };
}

const VM_RULES = [oversized, undersized, filesystemFull, noAgent, noSnapshot];

/** Every rule over every host and VM: the most severe first, then by host, VM name and kind. */
export function computeInsights(hosts: HostInput[], now: number, failedHosts: FailedHost[] = []): InsightReport {
  const insights: Insight[] = [];
  for (const host of hosts) {
    const hostInsight = overcommit(host);
    if (hostInsight) insights.push(hostInsight);
    for (const vm of host.vms) {
      for (const rule of VM_RULES) {
        const found = rule(vm, now);
        if (found) insights.push(found);
      }
    }
  }
  const rank = (s: InsightSeverity) => -INSIGHT_SEVERITIES.indexOf(s);
  insights.sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) || a.hostId.localeCompare(b.hostId) || (a.vmName ?? "").localeCompare(b.vmName ?? "") || a.kind.localeCompare(b.kind),
  );
  const waiting = HISTORY_INSIGHT_KINDS.map((kind) => {
    const daysNeeded = HISTORY_DAYS_NEEDED[kind];
    const vms = hosts.flatMap((h) => h.vms).filter((vm) => !windowOf(vm.history, now, daysNeeded).enough).length;
    return { kind, daysNeeded, vms };
  }).filter((w) => w.vms > 0);
  return { at: now, insights, waiting, failedHosts };
}

/**
 * The metrics collector: one tick samples every host on its one libvirt connection — ONE
 * CONNECT_GET_ALL_DOMAIN_STATS for all of its VMs, plus the host's CPU and memory counters and
 * its active pools — and turns two consecutive samples into a MetricsTick (sample.ts). It keeps
 * the latest tick of each host and hands every tick to its listeners (history, alerts, the event
 * stream, Prometheus: see README.md). A host that fails or does not answer within the timeout
 * yields a tick with `reachable: false` and no VMs: its VMs are unknown, not stopped.
 */
import {
  decodeTypedParams,
  flagsOf,
  hasErrorCode,
  uuidToString,
  VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_BLOCK,
  VIR_DOMAIN_STATS_CPU_TOTAL,
  VIR_DOMAIN_STATS_INTERFACE,
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_STATS_VCPU,
  VIR_ERR_NO_SUPPORT,
  VIR_NODE_CPU_STATS_ALL_CPUS,
  VIR_NODE_MEMORY_STATS_ALL_CELLS,
  type Connection,
} from "../libvirt";
import { vmStateName } from "../domains/power";
import { answerEach } from "../hosts/fan-out";
import type { HostMetricKey, HostSample, MetricsTick, PoolUse, VmMetricKey, VmSample } from "./sample";
import {
  countersFromStats,
  hostCpuCounters,
  hostCpuPercent,
  hostMemory,
  memoryTotalKiB,
  memoryUsedKiB,
  NO_RATES,
  vmRates,
  type GuestFigures,
  type HostCpuCounters,
  type VmCounters,
} from "./rates";

export const COLLECTOR_STATS = flagsOf(
  VIR_DOMAIN_STATS_STATE,
  VIR_DOMAIN_STATS_CPU_TOTAL,
  VIR_DOMAIN_STATS_BALLOON,
  VIR_DOMAIN_STATS_VCPU,
  VIR_DOMAIN_STATS_INTERFACE,
  VIR_DOMAIN_STATS_BLOCK,
);

/** A host's pools beyond this many are left out of its sample (a tick stays small). */
export const MAX_POOLS = 256;

/** The calls the collector makes: a real Connection, or a fake in tests. */
export type MetricsConnection = Pick<
  Connection,
  | "state"
  | "connectGetAllDomainStats"
  | "nodeGetCpuStats"
  | "nodeGetMemoryStats"
  | "nodeGetInfo"
  | "nodeGetFreeMemory"
  | "connectListAllStoragePools"
  | "storagePoolGetInfo"
>;

export interface CollectorHost {
  id: string;
  conn: MetricsConnection;
}

export interface CollectorOptions {
  /** The hosts to sample this tick (read each tick: hosts can be added and removed). */
  hosts: () => readonly CollectorHost[];
  /** A host that has not answered within this long is unreachable for the tick. */
  timeoutMs: number;
  /** Wall clock, ms since the epoch: when a host answered. */
  now?: () => number;
  /** Our agent's current figures for a guest, null without them. */
  guest?: (hostId: string, uuid: string, now: number) => GuestFigures | null;
  /** Told which VMs a host still has after each tick, so per-VM state elsewhere can forget deleted ones. */
  onVmsSeen?: (hostId: string, uuids: ReadonlySet<string>) => void;
  log?: (message: string, error?: unknown) => void;
}

export type TickListener = (tick: MetricsTick) => void;

const HOST_NULLS: Record<HostMetricKey, null> = { "host.cpu": null, "host.memory.used": null, "host.memory.total": null };

interface HostState {
  vms: Map<string, VmCounters>;
  cpu: HostCpuCounters | undefined;
  /** How many fields NODE_GET_CPU_STATS / NODE_GET_MEMORY_STATS return: libvirt wants exactly that many asked for. */
  cpuFields: number | null;
  memoryFields: number | null;
  /** The driver has no NODE_GET_MEMORY_STATS (libvirt's test driver): total and free memory instead. */
  memoryStatsUnsupported: boolean;
}

export class MetricsCollector {
  private readonly latest = new Map<string, MetricsTick>();
  private readonly state = new Map<string, HostState>();
  private readonly listeners = new Set<TickListener>();
  private readonly now: () => number;
  private readonly log: NonNullable<CollectorOptions["log"]>;

  constructor(private readonly options: CollectorOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((message, error) => console.warn(message, error ?? ""));
  }

  /** The newest tick of every host, in the order the hosts were listed. */
  latestTicks(): MetricsTick[] {
    return [...this.latest.values()];
  }

  latestTick(hostId: string): MetricsTick | null {
    return this.latest.get(hostId) ?? null;
  }

  /** Calls `listener` with each host's tick as it is made; returns the unsubscribe function. */
  onTick(listener: TickListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * One tick of every host, sampled in parallel (server/hosts/fan-out.ts); each host's tick goes to
   * the listeners as soon as it is in, so a silent host delays nobody else's. Resolves when each has
   * answered or timed out.
   */
  async collect(): Promise<MetricsTick[]> {
    const hosts = this.options.hosts();
    const ids = new Set(hosts.map((h) => h.id));
    for (const id of [...this.latest.keys()]) if (!ids.has(id)) this.latest.delete(id);
    for (const id of [...this.state.keys()]) if (!ids.has(id)) this.state.delete(id);
    const answers = answerEach(hosts, (host) => this.sampleHost(host), { timeoutMs: this.options.timeoutMs });
    return Promise.all(
      answers.map(async (pending) => {
        const answer = await pending;
        const tick = answer.ok ? answer.value : this.unreachable(answer.hostId, answer.error);
        this.latest.set(answer.hostId, tick);
        for (const listener of this.listeners) {
          try {
            listener(tick);
          } catch (err) {
            this.log(`metrics: a tick listener failed on host "${answer.hostId}":`, err);
          }
        }
        return tick;
      }),
    );
  }

  /** The tick of a host that failed or did not answer: its VMs are unknown, not stopped. */
  private unreachable(hostId: string, why: string): MetricsTick {
    const previous = this.latest.get(hostId);
    // Said once when a host stops answering, not every tick it stays silent.
    if (!previous || previous.host.reachable) this.log(`metrics: ${why}; the host counts as unreachable until it answers`);
    return { host: { hostId, at: this.now(), reachable: false, values: { ...HOST_NULLS }, pools: [] }, vms: [] };
  }

  private hostState(hostId: string): HostState {
    let s = this.state.get(hostId);
    if (!s) {
      s = { vms: new Map(), cpu: undefined, cpuFields: null, memoryFields: null, memoryStatsUnsupported: false };
      this.state.set(hostId, s);
    }
    return s;
  }

  private async sampleHost(host: CollectorHost): Promise<MetricsTick> {
    const { conn, id: hostId } = host;
    if (conn.state === "closed") throw new Error("its connection is closed");
    const s = this.hostState(hostId);
    const [{ records, at }, cpu, memory, pools] = await Promise.all([
      conn.connectGetAllDomainStats({ doms: [], stats: COLLECTOR_STATS, flags: 0 }).then((records) => ({ records, at: this.now() })),
      this.hostCpu(conn, s).catch(() => null),
      this.hostMemory(conn, s).catch(() => ({ ...HOST_NULLS })),
      this.pools(conn).catch(() => []),
    ]);
    const hostSample: HostSample = {
      hostId,
      at,
      reachable: true,
      values: { "host.cpu": hostCpuPercent(s.cpu, cpu), "host.memory.used": memory["host.memory.used"], "host.memory.total": memory["host.memory.total"] },
      pools,
    };
    if (cpu) s.cpu = cpu;
    const seen = new Set<string>();
    const vms: VmSample[] = [];
    for (const record of records) {
      const uuid = uuidToString(record.dom.uuid);
      seen.add(uuid);
      const params = decodeTypedParams(record.params);
      const state = vmStateName(Number(params["state.state"] ?? 0));
      const running = state === "running" || state === "blocked" || state === "paused";
      const counters = countersFromStats(params, at);
      // A VM that is not running has no rates, and its counters start over when it starts.
      const rates = running ? vmRates(s.vms.get(uuid), counters) : NO_RATES;
      if (running) s.vms.set(uuid, counters);
      else s.vms.delete(uuid);
      const guest = running ? (this.options.guest?.(hostId, uuid, at) ?? null) : null;
      const used = running ? memoryUsedKiB(params, guest?.memoryPercent ?? null) : null;
      const total = memoryTotalKiB(params);
      const values: Record<VmMetricKey, number | null> = {
        ...rates,
        "vm.memory.used": used === null ? null : used * 1024,
        "vm.memory.total": total === null ? null : total * 1024,
        "vm.guest.cpu": guest?.cpuPercent ?? null,
        "vm.guest.memory": guest?.memoryPercent ?? null,
        "vm.guest.filesystem": guest && guest.filesystems.length > 0 ? Math.max(...guest.filesystems.map((f) => f.usedPercent)) : null,
      };
      vms.push({ hostId, uuid, name: record.dom.name, at, running, values, filesystems: guest?.filesystems ?? [] });
    }
    for (const uuid of [...s.vms.keys()]) if (!seen.has(uuid)) s.vms.delete(uuid);
    this.options.onVmsSeen?.(hostId, seen);
    return { host: hostSample, vms };
  }

  private async hostCpu(conn: MetricsConnection, s: HostState): Promise<HostCpuCounters | null> {
    try {
      s.cpuFields ??= (await conn.nodeGetCpuStats({ cpuNum: VIR_NODE_CPU_STATS_ALL_CPUS, nparams: 0, flags: 0 })).nparams;
      const { params } = await conn.nodeGetCpuStats({ cpuNum: VIR_NODE_CPU_STATS_ALL_CPUS, nparams: s.cpuFields, flags: 0 });
      return hostCpuCounters(params);
    } catch (err) {
      // Asked again next tick: a reconnection may have reached a libvirtd that counts differently.
      s.cpuFields = null;
      throw err;
    }
  }

  private async hostMemory(
    conn: MetricsConnection,
    s: HostState,
  ): Promise<Pick<Record<HostMetricKey, number | null>, "host.memory.used" | "host.memory.total">> {
    if (s.memoryStatsUnsupported) {
      const [info, free] = await Promise.all([conn.nodeGetInfo(), conn.nodeGetFreeMemory()]);
      const total = Number(info.memory) * 1024;
      return { "host.memory.used": Math.max(0, total - Number(free)), "host.memory.total": total };
    }
    try {
      s.memoryFields ??= (await conn.nodeGetMemoryStats({ nparams: 0, cellNum: VIR_NODE_MEMORY_STATS_ALL_CELLS, flags: 0 })).nparams;
      const { params } = await conn.nodeGetMemoryStats({ nparams: s.memoryFields, cellNum: VIR_NODE_MEMORY_STATS_ALL_CELLS, flags: 0 });
      return hostMemory(params);
    } catch (err) {
      s.memoryFields = null;
      if (hasErrorCode(err, VIR_ERR_NO_SUPPORT)) {
        s.memoryStatsUnsupported = true;
        return this.hostMemory(conn, s);
      }
      throw err;
    }
  }

  private async pools(conn: MetricsConnection): Promise<PoolUse[]> {
    const { pools } = await conn.connectListAllStoragePools({ needResults: 1, flags: VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE });
    const shown = pools.slice(0, MAX_POOLS);
    const infos = await Promise.all(shown.map((pool) => conn.storagePoolGetInfo({ pool }).catch(() => null)));
    return shown.flatMap((pool, i) => {
      const info = infos[i];
      return info ? [{ name: pool.name, capacityBytes: Number(info.capacity), allocationBytes: Number(info.allocation) }] : [];
    });
  }
}

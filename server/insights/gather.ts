/**
 * The rules' inputs, read from where each lives: the hosts and their VMs (one bulk stats call per
 * host), the host's memory (server/hosts/memory.ts), each VM's snapshots (the snapshot service), what the guest hub
 * knows of its agents now plus the sightings it recorded, and the metrics history's 1-hour rollups.
 * Every host is read at once (server/hosts/fan-out.ts); one that fails or does not answer within
 * KVMM_HOST_TIMEOUT_S is reported as failed; its VMs are not judged (nothing is known of them).
 */
import { decodeTypedParams, uuidToString, VIR_DOMAIN_STATS_BALLOON, VIR_DOMAIN_STATS_STATE, VIR_DOMAIN_STATS_VCPU, flagsOf } from "@/server/libvirt";
import type { Db } from "@/server/db/client";
import { listHosts } from "@/server/hosts/service";
import { acrossHosts } from "@/server/hosts/fan-out";
import { nodeMemory } from "@/server/hosts/memory";
import { resolveHost, type ResolvedHost } from "@/server/hosts/connection";
import { vmStateName } from "@/server/domains/power";
import { listSnapshots } from "@/server/snapshots/service";
import { withLibvirtContext } from "@/server/errors";
import { auditTargets } from "@/server/audit/targets";
import type { GuestHub } from "@/server/guest";
import { readVmHistory } from "./history-input";
import { readSightings } from "./store";
import type { AgentInput, FailedHost, HostInput, SnapshotInput, VmInput } from "./rules";

const STATS = flagsOf(VIR_DOMAIN_STATS_STATE, VIR_DOMAIN_STATS_BALLOON, VIR_DOMAIN_STATS_VCPU);
/** Snapshot listings in flight per host: each is one call plus two per snapshot; a host with 1,000 VMs is not flooded. */
const SNAPSHOT_READS_IN_FLIGHT = 8;
/** About 25 ms of history reads between two turns of the event loop. */
const HISTORY_READS_PER_TURN = 50;

export interface Gathered {
  hosts: HostInput[];
  failedHosts: FailedHost[];
}

export async function gatherInputs(db: Db, hub: GuestHub | null, now: number): Promise<Gathered> {
  const historyOf = readVmHistory(db, now);
  const sightingOf = readSightings(db);
  const answers = await acrossHosts(listHosts(db), (row) => {
    const host = resolveHost(db, row.id);
    return withLibvirtContext(host.context, () => gatherHost(host, hub, historyOf, sightingOf));
  });
  return {
    hosts: answers.flatMap((a) => (a.ok ? [a.value] : [])),
    failedHosts: answers.flatMap((a): FailedHost[] => (a.ok ? [] : [{ hostId: a.hostId, error: a.error }])),
  };
}

async function gatherHost(
  host: ResolvedHost,
  hub: GuestHub | null,
  historyOf: ReturnType<typeof readVmHistory>,
  sightingOf: ReturnType<typeof readSightings>,
): Promise<HostInput> {
  const { conn } = host;
  const [node, memory, stats] = await Promise.all([conn.nodeGetInfo(), nodeMemory(conn), conn.connectGetAllDomainStats({ doms: [], stats: STATS, flags: 0 })]);
  const vms = stats.map((record) => {
    const params = decodeTypedParams(record.params);
    const state = vmStateName(Number(params["state.state"] ?? 0));
    return {
      dom: record.dom,
      uuid: uuidToString(record.dom.uuid),
      running: state === "running" || state === "blocked" || state === "paused",
      vcpus: Number(params["vcpu.current"] ?? params["vcpu.maximum"] ?? 0),
      memoryBytes: Number(params["balloon.maximum"] ?? params["balloon.current"] ?? 0) * 1024,
    };
  });
  const snapshots = await mapLimit(vms, SNAPSHOT_READS_IN_FLIGHT, async (vm): Promise<SnapshotInput | null> => {
    const context = auditTargets.vm(host.id, vm.dom.name);
    try {
      const list = await listSnapshots({ host, hostId: host.id, conn, dom: vm.dom, name: vm.dom.name, context });
      const times = list.snapshots.flatMap((s) => (s.createdAt ? [Date.parse(s.createdAt)] : []));
      return { count: list.snapshots.length, newestAt: times.length ? Math.max(...times) : null };
    } catch (err) {
      // Undefined between the listing and this read, or the call failed: its snapshots are unknown, not absent.
      console.error(`insights: ${context}: snapshots not read: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  });
  const agents = await Promise.all(vms.map((vm) => (vm.running ? agentOf(host, hub, vm.dom, sightingOf) : null)));
  const inputs: VmInput[] = [];
  for (const [i, vm] of vms.entries()) {
    // Reading a VM's history is synchronous: requests get their turn between batches of VMs.
    if (i > 0 && i % HISTORY_READS_PER_TURN === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    inputs.push({
      hostId: host.id,
      uuid: vm.uuid,
      name: vm.dom.name,
      running: vm.running,
      vcpus: vm.vcpus,
      memoryBytes: vm.memoryBytes,
      history: historyOf(host.id, vm.uuid),
      agent: agents[i]!,
      snapshots: snapshots[i]!,
    });
  }
  return { hostId: host.id, memoryBytes: memory?.total ?? Number(node.memory) * 1024, vms: inputs };
}

/** The hub's view of a running VM's agents (asking it to look at a VM it has not seen yet); null when it cannot say. */
async function agentOf(
  host: ResolvedHost,
  hub: GuestHub | null,
  dom: Parameters<GuestHub["track"]>[1],
  sightingOf: ReturnType<typeof readSightings>,
): Promise<AgentInput | null> {
  if (!hub) return null;
  const uuid = uuidToString(dom.uuid);
  const status = hub.status(host.id, uuid) ?? (await hub.track({ id: host.id, conn: host.conn }, dom).catch(() => null));
  if (!status || !status.running) return null;
  const seen = sightingOf(host.id, uuid);
  return {
    connectedNow: status.agent.state === "connected" || status.qga.connected,
    agentSeenAt: seen.agentAt,
    qgaSeenAt: seen.qgaAt,
    agentChannel: status.agent.channel,
    qgaChannel: status.qga.channel,
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

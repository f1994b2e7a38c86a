import type { SessionUser } from "../users/service";
import { latestTick } from "../metrics/service";
import { liveTick, type LiveTick } from "../metrics/live";
import type { ResolvedHost } from "./connection";
import { withLibvirtContext } from "../errors";
import { userCoversHost } from "./scope";
import { vmsInScope } from "../domains/lookup";
import { formatLibvirtVersion, LibvirtError, type Connection } from "../libvirt";
import { nodeMemory } from "./memory";
import { child, parseXml, textOf } from "../xml/codec";

export interface HostInfo {
  hostname: string;
  libvirtVersion: string;
  hypervisor: string;
  hypervisorVersion: string;
  arch: string;
  cpuModel: string;
  cpus: number;
  mhz: number;
  sockets: number;
  cores: number;
  threads: number;
  memoryBytes: number;
  /** Null where the driver does not report it (libvirt's test driver, which the 1,000-VM benchmarks use). */
  memoryFreeBytes: number | null;
  /** Running and stopped VMs: of the whole host, or for a user narrowed to some VMs, of theirs only. */
  activeDomains: number;
  inactiveDomains: number;
  /** The collector's latest figures of the host, for users whose grants cover it; null before the first tick or otherwise. */
  usage: (LiveTick["host"] & { at: number; reachable: boolean }) | null;
}

function latestHostUsage(user: SessionUser, hostId: string): HostInfo["usage"] {
  const tick = latestTick(hostId);
  if (!tick || !userCoversHost(user, hostId)) return null;
  const { host, at, reachable } = liveTick(tick);
  return { ...host, at, reachable };
}

/** The host CPU's model name as libvirt's capabilities report it (nodeGetInfo only gives the architecture). */
export function cpuModelFromCapabilities(xml: string): string | null {
  const cpu = child(child(child(parseXml(xml, "host capabilities"), "capabilities"), "host"), "cpu");
  return textOf(cpu?.model) ?? null;
}

/**
 * Running and stopped VMs the user may see. For a user covering the host, libvirt's two counters;
 * for one narrowed to some VMs, their VMs only: the host's totals would tell them about the others.
 */
async function domainCounts(user: SessionUser, hostId: string, conn: Connection): Promise<{ active: number; inactive: number }> {
  if (userCoversHost(user, hostId)) {
    const [active, inactive] = await Promise.all([conn.connectNumOfDomains(), conn.connectNumOfDefinedDomains()]);
    return { active, inactive };
  }
  const mine = await vmsInScope(user, hostId, conn);
  const active = mine.filter((dom) => dom.id !== -1).length;
  return { active, inactive: mine.length - active };
}

export async function readHostInfo(host: ResolvedHost, user: SessionUser): Promise<HostInfo> {
  const { conn } = host;
  return withLibvirtContext(`${host.context} (${host.uri})`, async () => {
    const [hostname, libVersion, hvType, hvVersion, node, free, memory, counts, caps] = await Promise.all([
      conn.connectGetHostname(),
      conn.connectGetLibVersion(),
      conn.connectGetType(),
      conn.connectGetVersion(),
      conn.nodeGetInfo(),
      // Only this call is spared: a host that does not answer fails the others too.
      conn.nodeGetFreeMemory().catch((err: unknown) => {
        if (err instanceof LibvirtError) return null;
        throw err;
      }),
      nodeMemory(conn),
      domainCounts(user, host.id, conn),
      conn.connectGetCapabilities(),
    ]);
    return {
      hostname,
      libvirtVersion: formatLibvirtVersion(libVersion),
      hypervisor: hvType,
      hypervisorVersion: formatLibvirtVersion(hvVersion),
      arch: node.model,
      cpuModel: cpuModelFromCapabilities(caps) ?? node.model,
      cpus: node.cpus,
      mhz: node.mhz,
      sockets: node.sockets,
      cores: node.cores,
      threads: node.threads,
      memoryBytes: memory?.total ?? Number(node.memory) * 1024,
      memoryFreeBytes: memory?.free ?? (free === null ? null : Number(free)),
      activeDomains: counts.active,
      inactiveDomains: counts.inactive,
      usage: latestHostUsage(user, host.id),
    };
  });
}

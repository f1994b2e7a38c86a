// The merged "guest facts" view: what our agent says, completed by what stock qemu-guest-agent
// (through libvirt) says, each fact labelled with where it came from. Pure functions only.
import type { DiskUsage, NetworkInfo, SystemInfo, UserSession } from "@/agent/protocol";
import type { AgentState } from "./session";
import type { AddressSource, QgaGuestInfo, QgaInterface } from "./qga";

/** `agent`: our agent; `qga`: qemu-guest-agent via libvirt; `lease`/`arp`: libvirt's DHCP leases / the host's ARP table. */
export type FactSource = "agent" | "qga" | "lease" | "arp";

export interface Fact<T> {
  value: T | null;
  source: FactSource | null;
}

export interface OsFact {
  id: string | null;
  name: string | null;
  prettyName: string | null;
  version: string | null;
  versionId: string | null;
}

export interface KernelFact {
  name: string | null;
  release: string | null;
  version: string | null;
}

export interface AddressFact {
  family: "ipv4" | "ipv6";
  address: string;
  prefix: number;
}

export interface InterfaceFact {
  name: string;
  mac: string | null;
  /** Link administratively up (agent only). */
  up: boolean | null;
  mtu: number | null;
  addresses: AddressFact[];
  rxBytes: number | null;
  txBytes: number | null;
}

export interface FilesystemFact {
  mountpoint: string;
  device: string | null;
  fstype: string | null;
  readOnly: boolean | null;
  totalBytes: number | null;
  usedBytes: number | null;
  availableBytes: number | null;
}

export interface UserFact {
  user: string;
  terminal: string | null;
  host: string | null;
  loginTime: string | null;
}

export interface GuestFactSources {
  agent: AgentState | "absent";
  qga: "connected" | "disconnected" | "absent";
}

export interface GuestFacts {
  sources: GuestFactSources;
  system: {
    hostname: Fact<string>;
    os: Fact<OsFact>;
    kernel: Fact<KernelFact>;
    arch: Fact<string>;
    timezone: Fact<string>;
    uptimeSeconds: Fact<number>;
    bootTime: Fact<string>;
    cpu: Fact<{ model: string; count: number }>;
    memory: Fact<{ totalBytes: number; availableBytes: number }>;
  };
  network: Fact<InterfaceFact[]>;
  disks: Fact<FilesystemFact[]>;
  users: Fact<UserFact[]>;
  /** What failed while collecting, per source (a fact may still have come from the other one). */
  errors: { agent: string[]; qga: string[] };
}

/** What our agent answered; null where it did not (disabled capability, error, not connected). */
export interface AgentFacts {
  system: SystemInfo | null;
  network: NetworkInfo | null;
  disks: DiskUsage | null;
  users: { sessions: UserSession[] } | null;
}

/** What qemu-ga / libvirt answered. */
export interface QgaFacts {
  info: QgaGuestInfo | null;
  addresses: { source: AddressSource; interfaces: QgaInterface[] } | null;
}

const none = <T>(): Fact<T> => ({ value: null, source: null });

function present(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (typeof value === "object" && !Array.isArray(value)) return Object.values(value).some(present);
  return true;
}

/** The agent's value when it has one, else qemu-ga's. */
function pick<T>(agent: T | null | undefined, qga: T | null | undefined, qgaSource: FactSource = "qga"): Fact<T> {
  if (present(agent)) return { value: agent as T, source: "agent" };
  if (present(qga)) return { value: qga as T, source: qgaSource };
  return none();
}

function utcOffset(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, "0");
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, "0");
  return `UTC${sign}${hh}:${mm}`;
}

function qgaInterfaces(qga: QgaFacts | null): { value: InterfaceFact[]; source: FactSource } | null {
  const fromAddresses = qga?.addresses;
  const list = fromAddresses?.interfaces ?? qga?.info?.interfaces ?? null;
  if (!list) return null;
  const value = list.map((i) => ({ name: i.name, mac: i.mac, up: null, mtu: null, addresses: i.addresses, rxBytes: null, txBytes: null }));
  return { value, source: fromAddresses ? fromAddresses.source : "qga" };
}

/** The guest's interfaces: from our agent when it answered, else from qemu-ga or libvirt's leases or ARP table. */
export function networkFact(agent: NetworkInfo | null, qga: QgaFacts | null): Fact<InterfaceFact[]> {
  if (!agent) return qgaInterfaces(qga) ?? none();
  return {
    source: "agent",
    value: agent.interfaces.map((i) => ({
      name: i.name,
      mac: i.mac,
      up: i.up,
      mtu: i.mtu,
      addresses: i.addresses,
      rxBytes: i.rx_bytes,
      txBytes: i.tx_bytes,
    })),
  };
}

/** Which facts our agent left open, so the caller knows whether asking qemu-ga is worth it. */
export function agentFactsComplete(agent: AgentFacts | null): boolean {
  return !!agent && agent.system !== null && agent.network !== null && agent.disks !== null && agent.users !== null && present(agent.system.os);
}

export function mergeFacts(
  agent: AgentFacts | null,
  qga: QgaFacts | null,
  sources: GuestFactSources,
  errors: { agent?: string[]; qga?: string[] } = {},
): GuestFacts {
  const sys = agent?.system ?? null;
  const info = qga?.info ?? null;
  const qgaOs = info?.os ?? null;
  const tz = info?.timezone;
  return {
    sources,
    system: {
      hostname: pick(sys?.hostname, info?.hostname),
      os: pick<OsFact>(
        sys ? { id: sys.os.id, name: sys.os.name, prettyName: sys.os.pretty_name, version: sys.os.version, versionId: sys.os.version_id } : null,
        qgaOs ? { id: qgaOs.id, name: qgaOs.name, prettyName: qgaOs.prettyName, version: qgaOs.version, versionId: qgaOs.versionId } : null,
      ),
      kernel: pick<KernelFact>(
        sys ? { name: sys.kernel.name, release: sys.kernel.release, version: sys.kernel.version } : null,
        qgaOs ? { name: null, release: qgaOs.kernelRelease, version: qgaOs.kernelVersion } : null,
      ),
      arch: pick(sys?.arch, qgaOs?.machine),
      timezone: pick(sys?.timezone, tz ? (tz.name ?? (tz.offsetSeconds !== null ? utcOffset(tz.offsetSeconds) : null)) : null),
      uptimeSeconds: pick(sys?.uptime_s, null),
      bootTime: pick(sys?.boot_time, null),
      cpu: pick(sys?.cpu, null),
      memory: pick(sys ? { totalBytes: sys.memory.total_bytes, availableBytes: sys.memory.available_bytes } : null, null),
    },
    network: networkFact(agent?.network ?? null, qga),
    disks: agent?.disks
      ? {
          source: "agent",
          value: agent.disks.filesystems.map((f) => ({
            mountpoint: f.mountpoint,
            device: f.device,
            fstype: f.fstype,
            readOnly: f.read_only,
            totalBytes: f.total_bytes,
            usedBytes: f.used_bytes,
            availableBytes: f.available_bytes,
          })),
        }
      : info?.filesystems
        ? {
            source: "qga",
            value: info.filesystems.map((f) => ({
              mountpoint: f.mountpoint,
              device: f.device,
              fstype: f.fstype,
              readOnly: null,
              totalBytes: f.totalBytes,
              usedBytes: f.usedBytes,
              availableBytes: null,
            })),
          }
        : none(),
    users: agent?.users
      ? { source: "agent", value: agent.users.sessions.map((s) => ({ user: s.user, terminal: s.terminal, host: s.host, loginTime: s.login_time })) }
      : info?.users
        ? {
            source: "qga",
            value: info.users.map((u) => ({ user: u.domain ? `${u.domain}\\${u.user}` : u.user, terminal: null, host: null, loginTime: u.loginTime })),
          }
        : none(),
    errors: { agent: errors.agent ?? [], qga: errors.qga ?? [] },
  };
}

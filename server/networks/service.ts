import type { SessionUser } from "../users/service";
import type { Connection, protocol } from "../libvirt";
import { isNoNetwork, LibvirtError, uuidToString, VIR_IP_ADDR_TYPE_IPV6 } from "../libvirt";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { withLibvirtContext, ServiceError } from "../errors";
import { userCoversHost } from "../hosts/scope";
import { buildNetworkXml, parseNetworkXml, type NetworkIp, type NetworkSpec } from "./xml";
import { ipv4Problems, subnetsOverlap } from "./ipv4";

/**
 * Virtual networks of a host: list, create (NAT, isolated, bridge), start, stop, delete, autostart, DHCP leases.
 * Networks serve every VM of the host and their leases name other VMs' addresses and MACs, so a
 * user whose grants do not cover the host (`coversHost`) sees none: empty lists, and "not found"
 * for a named network, in the same words whether it exists or not.
 */

export interface NetworkInfo {
  hostId: string;
  name: string;
  uuid: string;
  active: boolean;
  persistent: boolean;
  autostart: boolean;
  /** nat, route, open, bridge…, or "isolated". */
  forwardMode: string;
  bridge: string | null;
  ips: NetworkIp[];
}

async function openNetwork(host: ResolvedHost, name: string) {
  const { conn } = host;
  const context = auditTargets.network(host.id, name);
  const net = await withLibvirtContext(context, () => conn.networkLookupByName({ name }));
  return { conn, net, context };
}

/** openNetwork for a reader: a network is "not found" for a user whose grants do not cover its host. */
async function openNetworkFor(host: ResolvedHost, user: SessionUser, name: string) {
  if (!userCoversHost(user, host.id)) throw new ServiceError(`${auditTargets.network(host.id, name)}: not found`, "not_found");
  return openNetwork(host, name);
}

async function describeNetwork(conn: Connection, hostId: string, net: protocol.NonnullNetwork): Promise<NetworkInfo> {
  const [active, persistent, autostart, xml] = await Promise.all([
    conn.networkIsActive({ net }),
    conn.networkIsPersistent({ net }),
    conn.networkGetAutostart({ net }),
    conn.networkGetXmlDesc({ net, flags: 0 }),
  ]);
  const parsed = parseNetworkXml(xml);
  return {
    hostId,
    name: net.name,
    uuid: uuidToString(net.uuid),
    active: active === 1,
    persistent: persistent === 1,
    autostart: autostart === 1,
    forwardMode: parsed.forwardMode,
    bridge: parsed.bridge,
    ips: parsed.ips,
  };
}

async function listAllNetworks(host: ResolvedHost): Promise<NetworkInfo[]> {
  const { conn } = host;
  return withLibvirtContext(`networks on ${host.context}`, async () => {
    const { nets } = await conn.connectListAllNetworks({ needResults: 1, flags: 0 });
    const infos = await Promise.all(
      nets.map((net) => describeNetwork(conn, host.id, net).catch((err: unknown) => (isNoNetwork(err) ? null : Promise.reject(err)))),
    );
    return infos.filter((n): n is NetworkInfo => n !== null).sort((a, b) => a.name.localeCompare(b.name));
  });
}

export async function listNetworks(host: ResolvedHost, user: SessionUser): Promise<NetworkInfo[]> {
  return userCoversHost(user, host.id) ? listAllNetworks(host) : [];
}

export async function getNetwork(host: ResolvedHost, user: SessionUser, name: string): Promise<NetworkInfo> {
  const { conn, net, context } = await openNetworkFor(host, user, name);
  return withLibvirtContext(context, () => describeNetwork(conn, host.id, net));
}

export interface CreateNetworkOptions {
  start?: boolean;
  autostart?: boolean;
}

/**
 * Defines a persistent network, and optionally starts it and marks it autostart (all or nothing:
 * a network that fails to start is not kept). Refuses a name
 * already taken, a bridge another network uses, and a subnet overlapping another network's
 * (libvirt itself refuses, at start, a subnet the host already routes).
 */
export async function createNetwork(host: ResolvedHost, spec: NetworkSpec, options: CreateNetworkOptions = {}): Promise<NetworkInfo> {
  const { conn } = host;
  const context = auditTargets.network(host.id, spec.name);
  if (spec.mode !== "bridge") {
    const problems = ipv4Problems(spec.ipv4);
    if (problems.length) throw new ServiceError(`${context}: ${problems.join("; ")}`, "invalid", { field: "spec.ipv4" });
  }
  const net = await withLibvirtContext(context, async () => {
    const others = await listAllNetworks(host);
    if (others.some((n) => n.name === spec.name)) throw new ServiceError(`${context}: already exists`, "conflict", { field: "spec.name" });
    const bridgeUser = spec.bridge ? others.find((n) => n.bridge === spec.bridge && n.forwardMode !== "bridge") : undefined;
    if (bridgeUser) throw new ServiceError(`${context}: bridge ${spec.bridge} belongs to network "${bridgeUser.name}"`, "conflict", { field: "spec.bridge" });
    if (spec.mode !== "bridge") {
      for (const other of others) {
        const clash = other.ips.find(
          (ip) => ip.family === "ipv4" && ip.prefix !== null && subnetsOverlap(spec.ipv4, { address: ip.address, prefix: ip.prefix }),
        );
        if (clash) {
          throw new ServiceError(
            `${context}: ${spec.ipv4.address}/${spec.ipv4.prefix} overlaps ${clash.address}/${clash.prefix} of network "${other.name}"`,
            "conflict",
            { field: "spec.ipv4.address" },
          );
        }
      }
    }
    const net = await conn.networkDefineXml({ xml: buildNetworkXml(spec) });
    let step = "start";
    try {
      if (options.start) await conn.networkCreate({ net });
      step = "autostart";
      if (options.autostart) await conn.networkSetAutostart({ net, autostart: 1 });
    } catch (err) {
      if ((await conn.networkIsActive({ net }).catch(() => 0)) === 1) await conn.networkDestroy({ net }).catch(() => undefined);
      await conn.networkUndefine({ net }).catch(() => undefined);
      const detail = err instanceof LibvirtError ? err.libvirtMessage : (err as Error).message;
      throw new ServiceError(`${context}: ${step} failed, so the network was not kept: libvirt: ${detail}`, "invalid", { cause: err });
    }
    return net;
  });
  return withLibvirtContext(context, () => describeNetwork(conn, host.id, net));
}

export async function startNetwork(host: ResolvedHost, name: string): Promise<void> {
  const { conn, net, context } = await openNetwork(host, name);
  await withLibvirtContext(context, () => conn.networkCreate({ net }));
}

/** Stops the network: its bridge and dnsmasq go away; running guests on it lose connectivity. */
export async function stopNetwork(host: ResolvedHost, name: string): Promise<void> {
  const { conn, net, context } = await openNetwork(host, name);
  await withLibvirtContext(context, () => conn.networkDestroy({ net }));
}

export async function setNetworkAutostart(host: ResolvedHost, name: string, autostart: boolean): Promise<void> {
  const { conn, net, context } = await openNetwork(host, name);
  await withLibvirtContext(context, () => conn.networkSetAutostart({ net, autostart: autostart ? 1 : 0 }));
}

/** Stops the network if it runs and forgets it. */
export async function deleteNetwork(host: ResolvedHost, name: string): Promise<void> {
  const { conn, net, context } = await openNetwork(host, name);
  await withLibvirtContext(context, async () => {
    if ((await conn.networkIsActive({ net })) === 1) await conn.networkDestroy({ net });
    // A transient network is gone once stopped.
    const persistent = await conn.networkIsPersistent({ net }).catch((err: unknown) => (isNoNetwork(err) ? 0 : Promise.reject(err)));
    if (persistent === 1) await conn.networkUndefine({ net });
  });
}

export interface DhcpLease {
  iface: string;
  /** When the lease runs out, ISO 8601. */
  expiresAt: string;
  family: "ipv4" | "ipv6";
  mac: string | null;
  ipAddress: string;
  prefix: number;
  hostname: string | null;
  clientId: string | null;
}

export function toLease(lease: protocol.NetworkDhcpLease): DhcpLease {
  return {
    iface: lease.iface,
    expiresAt: new Date(Number(lease.expirytime) * 1000).toISOString(),
    family: lease.type === VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4",
    mac: lease.mac,
    ipAddress: lease.ipaddr,
    prefix: lease.prefix,
    hostname: lease.hostname,
    clientId: lease.clientid,
  };
}

/** The leases libvirt's dnsmasq handed out on this network (empty when it runs no DHCP). */
export async function listDhcpLeases(host: ResolvedHost, user: SessionUser, name: string): Promise<DhcpLease[]> {
  const { conn, net, context } = await openNetworkFor(host, user, name);
  return withLibvirtContext(context, async () => {
    const { leases } = await conn.networkGetDhcpLeases({ net, mac: null, needResults: 1, flags: 0 });
    return leases.map(toLease);
  });
}

// The IP addresses the VM list shows, from what the host already knows without asking any guest:
// the DHCP leases of the host's active libvirt networks (dnsmasq's lease file, one call per network
// per list), matched to each running VM by the MAC addresses of its live definition. Those MACs are
// read once per VM and cached until the VM starts, is redefined or the host reconnects, so a list
// of a thousand VMs costs the leases calls, not a thousand XML reads. A VM whose address comes from
// elsewhere (a bridge to an outside DHCP server, a static address) shows none here; its page asks
// its guest agent.
import { uuidToString, VIR_CONNECT_LIST_NETWORKS_ACTIVE, type Connection, type protocol } from "../libvirt";
import { subscribe } from "../events/bus";
import { processSingleton } from "../process-shared";
import { parseDomainXml } from "./xml";

/** A NIC can be hot-plugged without an event the bus carries: a cached MAC list is read again after this long. */
export const MAC_CACHE_MS = 5 * 60_000;

interface CachedMacs {
  macs: Promise<string[]>;
  at: number;
}

const cache = processSingleton("vmMacCache", () => {
  const byHost = new Map<string, Map<string, CachedMacs>>();
  subscribe((event) => {
    if (event.type === "host.connection") byHost.delete(event.hostId);
    else if (event.type === "domain.lifecycle") byHost.get(event.hostId)?.delete(event.uuid);
  });
  return byHost;
});

function hostCache(hostId: string) {
  let byUuid = cache.get(hostId);
  if (!byUuid) cache.set(hostId, (byUuid = new Map()));
  return byUuid;
}

/** The MACs of a running VM's live definition, lower-case; cached (the promise, so racing lists share one read). */
function macsOf(hostId: string, conn: Connection, dom: protocol.NonnullDomain, uuid: string, now: number): Promise<string[]> {
  const byUuid = hostCache(hostId);
  const cached = byUuid.get(uuid);
  if (cached && now - cached.at < MAC_CACHE_MS) return cached.macs;
  const macs = conn.domainGetXmlDesc({ dom, flags: 0 }).then((xml) => parseDomainXml(xml).nics.flatMap((nic) => (nic.mac ? [nic.mac.toLowerCase()] : [])));
  byUuid.set(uuid, { macs, at: now });
  macs.catch(() => byUuid.get(uuid)?.macs === macs && byUuid.delete(uuid));
  return macs;
}

/** MAC → the addresses leased to it on the host's active networks; empty where the driver keeps no leases. */
export async function leasedAddresses(conn: Connection): Promise<Map<string, string[]>> {
  const byMac = new Map<string, string[]>();
  const { nets } = await conn.connectListAllNetworks({ needResults: 1, flags: VIR_CONNECT_LIST_NETWORKS_ACTIVE });
  const all = await Promise.all(
    // A network stopped meanwhile, or a driver without leases (the test driver), has none to give.
    nets.map((net) =>
      conn.networkGetDhcpLeases({ net, mac: null, needResults: 1, flags: 0 }).then(
        (r) => r.leases,
        () => [],
      ),
    ),
  );
  for (const lease of all.flat()) {
    if (!lease.mac) continue;
    const mac = lease.mac.toLowerCase();
    byMac.set(mac, [...(byMac.get(mac) ?? []), lease.ipaddr]);
  }
  return byMac;
}

/** Matches leases to VMs by MAC: the addresses of each running VM, by UUID. No leases, no XML read. */
export async function addressesOfRunning(
  hostId: string,
  conn: Connection,
  running: readonly protocol.NonnullDomain[],
  leases: Map<string, string[]>,
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  if (leases.size === 0) return result;
  const now = Date.now();
  await Promise.all(
    running.map(async (dom) => {
      const uuid = uuidToString(dom.uuid);
      // A VM gone between the stats call and this read simply has no addresses in this list.
      const macs = await macsOf(hostId, conn, dom, uuid, now).catch(() => []);
      const ips = macs.flatMap((mac) => leases.get(mac) ?? []);
      if (ips.length > 0) result.set(uuid, [...new Set(ips)]);
    }),
  );
  return result;
}

/**
 * What a host gets while it is enabled, started and stopped at run time as server/main.ts starts
 * it at boot: its libvirt connection, its events on the bus and the guest hub's sessions with its
 * VMs. The metrics collector, the VM list and the jobs read listHosts on every round, so the
 * database row is all they need.
 */
import { unwatchHost, watchHost } from "../events/bus";
import { refreshGuestHubHosts } from "../guest";
import { closeConnection, getConnection } from "../libvirt/registry";

/** After the row is saved or enabled: events flow and the guest hub watches the host. */
export async function startHost(host: { id: string; uri: string }): Promise<void> {
  watchHost(host.id, getConnection(host.id, host.uri)).catch((err: unknown) => console.warn(`host "${host.id}": events not available yet:`, err));
  await refreshGuestHubHosts();
}

/**
 * After the row is disabled or deleted: the guest hub lets go of it first (it re-reads the host
 * list, which no longer has it), then its events, then the connection they all shared.
 */
export async function stopHost(hostId: string): Promise<void> {
  await refreshGuestHubHosts();
  await unwatchHost(hostId);
  await closeConnection(hostId);
}

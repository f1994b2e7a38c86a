import { uuidFromString, type Connection } from "../libvirt";
import { auditTargets } from "../audit/targets";
import { memoryLayoutOf } from "../domains/memory-xml";
import { errorText } from "./errors";
import { onlineHotplugged, type GuestOnlineReport, type HotplugWant } from "./hotplug";
import type { GuestHub, GuestStatus } from "./hub";
import type { GuestVm } from "./service";

/**
 * Memory modules a VM boots with. A module plugged into a running VM is kept in its definition
 * (server/domains/memory-hotplug.ts), so from its next start on QEMU plugs it in at boot; but Linux
 * onlines boot-time modules only where a udev rule or `memhp_default_state=online` says so — Debian's
 * 6.1 kernel leaves them offline (e2e/integration/vm-memory-hotplug.itest.ts: a VM of 512 MiB boot memory
 * and two 128 MiB modules can use only the 512 until asked). The VM's owner gave it that memory, so each time our agent connects
 * to a VM with modules, the product asks it to online what is offline, as it does right after a plug.
 *
 * Each connection of an agent is acted on once (a reconnect is a new one: the guest may have
 * rebooted); a VM without modules costs one read of its live definition per connection.
 */

export type BootMemoryHub = Pick<GuestHub, "on" | "off" | "list" | "track" | "call">;

export interface BootMemoryDeps {
  /** The host's libvirt connection, or null when the host is gone. */
  connection: (hostId: string) => Connection | null;
  online?: (vm: GuestVm, want: HotplugWant, hub: BootMemoryHub) => Promise<GuestOnlineReport>;
  log?: (line: string) => void;
}

/** How much memory the guest should see online: boot memory and every module of the running VM, or null without modules. */
export function bootModulesWant(liveXml: string): HotplugWant | null {
  const layout = memoryLayoutOf(liveXml);
  if (layout.dimms.length === 0) return null;
  return { memoryKiB: layout.bootKiB + layout.dimms.reduce((sum, d) => sum + d.sizeKiB, 0) };
}

async function onlineModulesOf(status: GuestStatus, hub: BootMemoryHub, deps: BootMemoryDeps): Promise<void> {
  const log = deps.log ?? ((line: string) => console.warn(line));
  const context = auditTargets.vm(status.hostId, status.name);
  try {
    const conn = deps.connection(status.hostId);
    if (!conn) return;
    const dom = await conn.domainLookupByUuid({ uuid: uuidFromString(status.uuid) });
    const want = bootModulesWant(await conn.domainGetXmlDesc({ dom, flags: 0 }));
    if (!want) return;
    const report = await (deps.online ?? onlineHotplugged)({ hostId: status.hostId, conn, dom, context }, want, hub);
    if (report.state === "online" && report.memoryOnlined.length > 0) {
      log(`${context}: onlined ${report.memoryOnlined.length} memory block(s) of the modules it booted with`);
    } else if (report.state === "partial" || report.state === "failed") {
      log(`${context}: memory modules it booted with not all online: ${report.reason}`);
    }
  } catch (err) {
    log(`${context}: memory modules it booted with not checked: ${errorText(err)}`);
  }
}

/** Watches the hub for agents that connect and onlines their VM's boot-time modules; returns the unsubscribe. */
export function onlineBootMemory(hub: BootMemoryHub, deps: BootMemoryDeps): () => void {
  // The connection each VM was last handled for, by its start time: one check per connection.
  const handled = new Map<string, string>();
  const onStatus = (status: GuestStatus) => {
    const key = `${status.hostId}/${status.uuid}`;
    const { agent } = status;
    if (!status.running || agent.state !== "connected") {
      if (!status.running) handled.delete(key);
      return;
    }
    if (handled.get(key) === agent.since || !agent.info?.capabilities.includes("hotplug.online")) return;
    handled.set(key, agent.since);
    void onlineModulesOf(status, hub, deps);
  };
  hub.on("status", onStatus);
  for (const status of hub.list()) onStatus(status);
  return () => void hub.off("status", onStatus);
}

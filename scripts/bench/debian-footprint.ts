// The agent's idle footprint in the Debian 12 test guest (e2e/fixtures/debian-guest.ts): our agent
// installed from its .deb and run by its systemd unit, as users run it, next to a bare `node`.
// Prints figures; asserts nothing.
//
//   npx tsx scripts/bench/debian-footprint.ts [--idle-s N]    (default KVMM_BENCH_IDLE_S or 120 s)
import { parseArgs } from "node:util";
import { GuestHub } from "../../server/guest/hub";
import { closeAllConnections } from "../../server/libvirt/registry";
import { createDebianGuest } from "../../e2e/fixtures/debian-guest";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri } from "../../e2e/fixtures/test-host";
import { formatFootprint, measureFootprint } from "./agent-footprint";

const { values } = parseArgs({ options: { "idle-s": { type: "string", default: process.env.KVMM_BENCH_IDLE_S ?? "120" } } });
const IDLE_S = Number(values["idle-s"]);
const HOST = "local";

async function main(): Promise<void> {
  await ensureLibvirtd();
  await cleanupStaleTestDomains();
  console.log("booting the Debian 12 test guest (TCG, 2 vCPUs, 1 GiB; our agent from its .deb under systemd)…");
  const guest = await createDebianGuest({ label: "bench-footprint", hostId: HOST });
  const hub = new GuestHub({ hosts: () => [{ id: HOST, uri: libvirtUri() }] });
  try {
    await guest.start();
    await hub.start();
    await guest.waitForQga();
    await hub.waitForAgent(HOST, guest.uuid, 240_000);
    const info = hub.status(HOST, guest.uuid)!.agent.info!;
    const unit = await guest.exec("/bin/systemctl", ["show", "-p", "ExecStart", "-p", "Environment", "kvmmanager-agent.service"]);
    console.log(`agent ${info.version}, node ${info.platform.node_version}, pid ${info.pid}; unit:\n${unit.stdout.trim()}`);
    // The guest is still starting services for a while after qemu-guest-agent answers; the settle
    // lets boot-time work end before the window (its CPU would land in no process of ours, but TCG
    // shares one host thread per vCPU).
    const footprint = await measureFootprint(<T>(execute: string, args?: Record<string, unknown>) => guest.qga<T>(execute, args, 30), {
      agentPid: info.pid,
      idleS: IDLE_S,
      settleS: 20,
    });
    console.log(`\n${formatFootprint(`Debian 12 guest (TCG, 2 vCPUs, node ${info.platform.node_version}, systemd unit)`, footprint)}`);
  } finally {
    await hub.stop();
    await guest.destroy();
    await closeAllConnections();
  }
}

main().catch((err: unknown) => {
  console.error("debian-footprint failed:", err);
  process.exitCode = 1;
});

// The agent's idle footprint in the Debian 12 test guest (e2e/fixtures/debian-guest.ts): our agent
// installed from its .deb and run by its systemd unit, as users run it, next to a bare `node`.
// Prints figures; asserts nothing.
//
//   npx tsx scripts/bench/debian-footprint.ts [--idle-s N] [--node-flags="A B"]…
//
// --idle-s defaults to KVMM_BENCH_IDLE_S or 120 s. Without --node-flags the agent runs as its .deb
// installed it; each --node-flags set ("" for none) is measured in turn in the same boot, with a
// drop-in that replaces the unit's ExecStart flags and a restart of the unit.
import { parseArgs } from "node:util";
import { GuestHub } from "../../server/guest/hub";
import { closeAllConnections } from "../../server/libvirt/registry";
import { createDebianGuest, type DebianGuest } from "../../e2e/fixtures/debian-guest";
import { waitFor } from "../../e2e/fixtures/wait";
import { cleanupStaleTestDomains, ensureLibvirtd, libvirtUri } from "../../e2e/fixtures/test-host";
import { packagedNodeFlags } from "../../server/guest/testing/agent-guest";
import { FOOTPRINT_BEFORE, formatFootprint, measureFootprint } from "./agent-footprint";

const { values } = parseArgs({
  options: { "idle-s": { type: "string", default: process.env.KVMM_BENCH_IDLE_S ?? "120" }, "node-flags": { type: "string", multiple: true } },
});
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
    for (const flags of values["node-flags"] ?? [null]) {
      const pid = flags === null ? hub.status(HOST, guest.uuid)!.agent.info!.pid : await restartWithFlags(guest, hub, flags);
      const info = hub.status(HOST, guest.uuid)!.agent.info!;
      const unit = await guest.exec("/bin/systemctl", ["show", "-p", "ExecStart", "kvmmanager-agent.service"]);
      console.log(
        `\nagent ${info.version}, node ${info.platform.node_version}, pid ${pid}; unit ${/argv\[\]=([^;]*);/.exec(unit.stdout)?.[1]?.trim() ?? unit.stdout.trim()}`,
      );
      // The guest is still starting services for a while after qemu-guest-agent answers; the settle
      // lets boot-time work end before the window.
      const footprint = await measureFootprint(<T>(execute: string, args?: Record<string, unknown>) => guest.qga<T>(execute, args, 30), {
        agentPid: pid,
        idleS: IDLE_S,
        settleS: 20,
        nodeFlags: flags === null ? packagedNodeFlags() : flags.split(" ").filter(Boolean),
      });
      const label = flags === null ? "as packaged" : flags || "without flags";
      console.log(
        `\n${formatFootprint(`Debian 12 guest (TCG, 2 vCPUs, node ${info.platform.node_version}, systemd unit, ${label})`, footprint, FOOTPRINT_BEFORE.debian)}`,
      );
    }
  } finally {
    await hub.stop();
    await guest.destroy();
    await closeAllConnections();
  }
}

/** Replaces the unit's node flags with a drop-in, restarts it and waits for the new agent to reach the hub; its pid. */
async function restartWithFlags(guest: DebianGuest, hub: GuestHub, flags: string): Promise<number> {
  const shown = (await guest.exec("/bin/systemctl", ["show", "-p", "ExecStart", "kvmmanager-agent.service"])).stdout;
  const argv = /argv\[\]=([^;]*);/.exec(shown)?.[1]?.trim().split(" ");
  if (!argv || argv.length < 2) throw new Error(`kvmmanager-agent.service: unreadable ExecStart ${JSON.stringify(shown)}`);
  const execStart = [argv[0], ...flags.split(" ").filter(Boolean), argv.at(-1)].join(" ");
  const dropIn = `[Service]\nExecStart=\nExecStart=${execStart}\n`;
  const script = [
    "mkdir -p /run/systemd/system/kvmmanager-agent.service.d",
    `printf '${dropIn}' >/run/systemd/system/kvmmanager-agent.service.d/bench-flags.conf`,
    "systemctl daemon-reload",
    "systemctl restart kvmmanager-agent.service",
    "systemctl show -p MainPID --value kvmmanager-agent.service",
  ].join(" && ");
  const pid = Number((await guest.exec("/bin/sh", ["-c", script])).stdout.trim());
  await waitFor(() => hub.status(HOST, guest.uuid)?.agent.info?.pid === pid || null, {
    timeoutMs: 120_000,
    intervalMs: 250,
    what: `the agent restarted with "${flags}" (pid ${pid}) to reach the hub`,
  });
  return pid;
}

main().catch((err: unknown) => {
  console.error("debian-footprint failed:", err);
  process.exitCode = 1;
});

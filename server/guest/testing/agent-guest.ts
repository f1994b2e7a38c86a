// Boots a test guest (e2e/fixtures) that runs our bundled agent as a service would: through its
// launcher (self-update), with the packaged unit's node flags, from an init.d hook, restarted
// whenever it exits. Shared by the guest-agent integration tests and scripts/bench-guest.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { builtAgent } from "@/agent/test/harness";
import { repoRoot } from "@/e2e/fixtures/paths";
import { ensureTestUpdateKey } from "@/e2e/fixtures/update-key";
import { AGENT_CHANNEL, QGA_CHANNEL, createTestDomain, type TestDomain, type TestDomainOptions } from "@/e2e/fixtures/test-host";
import { ensureTestGuestImage, type TestGuestImage } from "@/e2e/fixtures/guest-image";

export const AGENT_PATH = "/opt/kvmm/kvmm-agent.cjs";
/** The launcher beside the packaged bundle, as the package installs them; update-key.pem (the tests' key) beside both. */
export const LAUNCHER_PATH = "/opt/kvmm/kvmm-launcher.cjs";
export const UPDATE_KEY_PATH = "/opt/kvmm/update-key.pem";
export const AGENT_CONFIG_PATH = "/etc/kvmmanager-agent/config.json";
export const AGENT_LOG_PATH = "/var/log/kvmm-agent.log";
/** Printed on the serial console each time the agent process exits. */
export const AGENT_EXIT_MARKER = /KVMM-AGENT-EXIT status=(\d+)/g;

/** Config for the test guest: exec on, busybox's forced power commands (its init has no runlevels to walk). */
export const TEST_AGENT_CONFIG = {
  allowed_paths: ["/tmp", "/var/tmp", "/var/log"],
  exec_enabled: true,
  telemetry_interval_s: 5,
  power_commands: { shutdown: ["poweroff", "-f"], reboot: ["reboot", "-f"] },
};

/**
 * The node flags the packaged systemd unit starts the agent with (its ExecStart), so the test guest
 * runs the agent as installed guests do: the unit is their one source.
 */
export function packagedNodeFlags(): string[] {
  const unit = readFileSync(path.join(repoRoot, "agent", "packaging", "files", "kvmmanager-agent.service"), "utf8");
  const execStart = /^ExecStart=(\S+)((?: --\S+)*) /m.exec(unit);
  if (!execStart || !/\/node$/.test(execStart[1]!)) throw new Error(`kvmmanager-agent.service: no ExecStart=/…/node [--flag …] <script> line`);
  return execStart[2]!.trim().split(" ").filter(Boolean);
}

const agentHook = (nodeFlags: readonly string[]) => `#!/bin/sh
# KVM Manager agent, restarted whenever it exits, as systemd's Restart= would.
(
  while :; do
    node ${[...nodeFlags, LAUNCHER_PATH].join(" ")} --config ${AGENT_CONFIG_PATH} >>${AGENT_LOG_PATH} 2>&1
    echo "KVMM-AGENT-EXIT status=$?" >/dev/console
    sleep 1
  done
) </dev/null >/dev/null 2>&1 &
`;

export interface AgentGuestOptions {
  label: string;
  hostname?: string;
  /** Run our agent (default true). */
  agent?: boolean;
  /** Run stock qemu-ga on org.qemu.guest_agent.0 (default false). */
  qemuGuestAgent?: boolean;
  network?: boolean;
  /** An empty CD-ROM drive (see TestDomainOptions.cdrom). */
  cdrom?: boolean;
  memoryMiB?: number;
  /** Merged over TEST_AGENT_CONFIG. */
  agentConfig?: Record<string, unknown>;
  /** A virtio data disk: an ext4 one mounted in the guest, or a caller's qcow2 left raw (see TestDomainOptions.dataDisk). */
  dataDisk?: TestDomainOptions["dataDisk"];
  /** Node flags before the agent's script; default the packaged unit's (packagedNodeFlags). */
  nodeFlags?: readonly string[];
}

export async function bootAgentGuest(options: AgentGuestOptions): Promise<{ guest: TestDomain; image: TestGuestImage }> {
  const image = await ensureTestGuestImage();
  const withAgent = options.agent ?? true;
  if (options.qemuGuestAgent && !image.qemuGuestAgentPath) throw new Error("the test guest image was built without qemu-ga (KVMM_GUEST_QGA=0)");
  const guest = await createTestDomain({
    label: options.label,
    hostname: options.hostname,
    memoryMiB: options.memoryMiB,
    network: options.network ?? false,
    cdrom: options.cdrom ?? false,
    dataDisk: options.dataDisk,
    channels: [...(withAgent ? [AGENT_CHANNEL] : []), ...(options.qemuGuestAgent ? [QGA_CHANNEL] : [])],
    qemuGuestAgent: options.qemuGuestAgent ?? false,
    overlay: withAgent
      ? {
          files: [
            { path: AGENT_PATH, source: await builtAgent(), mode: 0o755 },
            { path: LAUNCHER_PATH, source: path.join(path.dirname(await builtAgent()), "kvmm-launcher.cjs"), mode: 0o755 },
            { path: UPDATE_KEY_PATH, content: ensureTestUpdateKey().publicPem, mode: 0o644 },
            { path: AGENT_CONFIG_PATH, content: `${JSON.stringify({ ...TEST_AGENT_CONFIG, ...options.agentConfig }, null, 2)}\n`, mode: 0o600 },
          ],
          initScripts: [{ name: "50-kvmm-agent", script: agentHook(options.nodeFlags ?? packagedNodeFlags()) }],
        }
      : undefined,
  });
  return { guest, image };
}

import assert from "node:assert/strict";
import type { createCaller } from "@/server/api/root";
import type { GuestHub } from "@/server/guest";
import type { Telemetry } from "@/agent/protocol/index";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * The packaged unit's sandbox gives the agent a mount namespace of its own: "/" read-only, tmpfs
 * over /proc/kcore, /run/user and the like, /tmp, /var/tmp and its state directory bind-mounted.
 * What the agent reports and freezes must still be the guest's filesystems as the system mounts
 * them (agent/src/platform/linux/system-mounts.ts):
 * - the VM's facts list only mount points `findmnt` lists in the guest, "/" among them, writable,
 *   with the size `stat -f` gives; none of the sandbox's own mounts;
 * - telemetry, which reports writable filesystems only, has "/";
 * - fs_freeze freezes "/" (and says so), which a write in the guest then waits on until fs_thaw.
 * The guest's side is asked through qemu-guest-agent, which runs in the system's namespace.
 */
export interface FilesystemsCheck {
  api: ReturnType<typeof createCaller>;
  hub: GuestHub;
  shell: GuestShell;
  hostId: string;
  uuid: string;
  figures: Record<string, number>;
}

/** Mounts the sandbox adds for the agent alone (ReadWritePaths=, StateDirectory=, ProtectKernel*, ProtectHome=). */
const SANDBOX_ONLY = ["/tmp", "/var/tmp", "/var/lib/kvmmanager-agent", "/proc/kcore", "/proc/kallsyms", "/run/user", "/run/credentials", "/usr/lib/modules"];
const PROBE = "/root/kvmm-freeze-probe";

async function sh(shell: GuestShell, script: string): Promise<string> {
  const result = await shell.exec("/bin/sh", ["-c", script], 60_000);
  assert.equal(result.exitCode, 0, `${script}: exit ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

export async function checkSystemFilesystems(c: FilesystemsCheck): Promise<void> {
  const system = new Set((await sh(c.shell, "findmnt --raw --noheadings --output TARGET")).split("\n").filter(Boolean));
  for (const path of SANDBOX_ONLY) assert.ok(!system.has(path), `${path} is not a mount of the guest's system (the check's premise)`);

  const facts = await c.api.guest.facts({ hostId: c.hostId, uuid: c.uuid });
  assert.equal(facts.disks.source, "agent");
  const listed = facts.disks.value ?? [];
  const notMounted = listed.filter((fs) => !system.has(fs.mountpoint)).map((fs) => fs.mountpoint);
  assert.deepEqual(notMounted, [], "every filesystem the agent lists is mounted in the guest's system");
  const root = listed.find((fs) => fs.mountpoint === "/");
  assert.ok(root, `"/" among ${listed.map((fs) => fs.mountpoint).join(", ")}`);
  assert.equal(root.readOnly, false, `"/" is writable in the guest, though read-only inside the agent's sandbox`);
  assert.equal(root.device, "/dev/vda");
  const [blocks, blockSize] = (await sh(c.shell, "stat -f -c '%b %S' /")).trim().split(" ").map(Number);
  assert.equal(root.totalBytes, blocks! * blockSize!);

  const telemetry = await nextTelemetry(c);
  assert.ok(
    telemetry.filesystems?.some((fs) => fs.mount === "/"),
    `telemetry's filesystems have "/": ${telemetry.filesystems?.map((fs) => fs.mount).join(", ")}`,
  );

  await sh(c.shell, `rm -f ${PROBE}`);
  const freezeAt = Date.now();
  const frozen = await c.hub.call(c.hostId, c.uuid, "fs_freeze", { timeout_s: 30 });
  c.figures.freezeMs = Date.now() - freezeAt;
  try {
    assert.deepEqual(frozen.frozen, ["/"]);
    // The write waits in the kernel until the thaw: still running 2 s on, and no file yet.
    const probe = await sh(c.shell, `touch ${PROBE} >/dev/null 2>&1 & sleep 2; kill -0 $! 2>/dev/null && echo waiting || echo done`);
    assert.equal(probe.trim(), "waiting", "a write in the guest waits while / is frozen");
  } finally {
    await c.hub.call(c.hostId, c.uuid, "fs_thaw", {});
  }
  await waitFor(async () => ((await c.shell.exec("/usr/bin/test", ["-e", PROBE])).exitCode === 0 ? true : null), {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: "the write held by the freeze to complete after fs_thaw",
  });
  await sh(c.shell, `rm -f ${PROBE}`);
}

/** The next telemetry this VM's agent sends (every 10 s as packaged). */
async function nextTelemetry(c: FilesystemsCheck): Promise<Telemetry> {
  let received: Telemetry | null = null;
  const listener = (event: { hostId: string; uuid: string; metrics: Telemetry }) => {
    if (event.hostId === c.hostId && event.uuid === c.uuid) received = event.metrics;
  };
  c.hub.on("telemetry", listener);
  try {
    return await waitFor(() => received, { timeoutMs: 30_000, intervalMs: 250, what: "telemetry from the agent" });
  } finally {
    c.hub.off("telemetry", listener);
  }
}

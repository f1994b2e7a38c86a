import assert from "node:assert/strict";
import type { createCaller } from "@/server/api/root";
import type { GuestShell } from "../../fixtures/debian-guest";
import { waitFor } from "../../fixtures/wait";

/**
 * Issue 15 item 4, online hot-plugged vCPUs, in the real Debian 12 guest: the VM boots with 2 of
 * at most 3 vCPUs (e2e/fixtures/debian-domain-xml.ts); the product's live vCPU change plugs the
 * third, and its follow-up call of our agent's online_hotplugged brings it online, as nproc and
 * sysfs say inside the guest (asked over qemu-guest-agent).
 */
export interface HotplugCheck {
  api: ReturnType<typeof createCaller>;
  hostId: string;
  uuid: string;
  shell: GuestShell;
  figures: Record<string, number>;
}

async function read(shell: GuestShell, path: string, ...args: string[]): Promise<string> {
  const result = await shell.exec(path, args);
  assert.equal(result.exitCode, 0, `${path} ${args.join(" ")}: ${result.stderr}`);
  return result.stdout.trim();
}

export async function checkHotplug({ api, hostId, uuid, shell, figures }: HotplugCheck): Promise<void> {
  const vm = await api.vms.get({ hostId, uuid });
  assert.deepEqual([vm.currentVcpus, vm.vcpus], [2, 3], "the Debian test VM boots with room for one more vCPU");
  assert.equal(await read(shell, "/usr/bin/nproc"), "2");

  const started = Date.now();
  const result = await api.vms.setResources({ hostId, uuid, vcpus: 3, maxVcpus: 3, memoryMiB: vm.currentMemoryKiB / 1024, maxMemoryMiB: vm.memoryKiB / 1024 });
  figures.vcpuHotplugToOnlineMs = Date.now() - started;
  assert.deepEqual(result.changes, [{ what: "vcpus", from: 2, to: 3, applies: "nowAndNextBoot" }]);
  assert.ok("guest" in result, "the product asked the guest to online what it plugged");
  assert.equal(result.guest.state, "online", JSON.stringify(result.guest));
  assert.ok(result.guest.state === "online" && result.guest.cpusOnline === 3);
  // Debian ships no udev rule that onlines CPUs: the agent did, and says so.
  assert.deepEqual(result.guest.state === "online" && result.guest.cpusOnlined, [2]);

  assert.equal(await read(shell, "/bin/cat", "/sys/devices/system/cpu/cpu2/online"), "1");
  assert.equal(await read(shell, "/usr/bin/nproc"), "3");
  await waitFor(async () => (await read(shell, "/bin/cat", "/sys/devices/system/cpu/online")) === "0-2", {
    timeoutMs: 5_000,
    what: "the guest kernel to list cpu0-2 online",
  });
}

import type { MethodResult } from "@/agent/protocol/methods";
import { errorText, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { runningGuestHub } from "./index";
import type { GuestVm } from "./service";

/**
 * After a live vCPU change or a memory module plugged in (server/domains/resources.ts): many guests
 * leave a hot-plugged vCPU or memory block offline (no udev rule onlines it), so the product asks
 * our agent's `online_hotplugged` to bring it up. Best effort: the change is already made; the
 * answer only says what the guest did.
 *
 * The guest's kernel learns of the new device through an ACPI notification it handles on its own
 * time, so the agent is asked again until it sees as many online CPUs, and as much online memory,
 * as the VM has, or the deadline passes.
 */

export type HotplugHub = Pick<GuestHub, "track" | "call">;

export type GuestOnlineReport =
  | { state: "online"; cpusOnline: number; cpusOnlined: number[]; memoryOnlined: number[] }
  /** The agent answered, but the guest has fewer online CPUs than the VM has by the deadline, or refused some. */
  | { state: "partial"; cpusOnline: number; cpusOnlined: number[]; memoryOnlined: number[]; reason: string }
  /** Nothing was asked of the guest: why, in words. */
  | { state: "skipped"; reason: string }
  | { state: "failed"; reason: string };

export interface HotplugTiming {
  /** How long to keep asking for the guest to see the new vCPUs. */
  timeoutMs: number;
  intervalMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export const defaultHotplugTiming: HotplugTiming = {
  timeoutMs: 15_000,
  intervalMs: 500,
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

type Answer = MethodResult<"online_hotplugged">;

/** What the guest should have online: its vCPUs after a vCPU change, its total memory after a module was plugged in. */
export interface HotplugWant {
  vcpus?: number;
  memoryKiB?: number;
}

/**
 * Whether the guest's online memory blocks hold `memoryKiB`. Blocks cover every byte of RAM, so
 * they add up to at least the VM's memory once all are online; less than a block short is the
 * rounding of a size that is not a whole number of blocks.
 */
function memoryShortfall(answer: Answer, memoryKiB: number | undefined): string | null {
  if (memoryKiB === undefined) return null;
  if (answer.memory_block_bytes === null) return "the guest shows no memory blocks (its kernel has no memory hot-plug)";
  const onlineBytes = answer.memory_blocks_online * answer.memory_block_bytes;
  if (onlineBytes > memoryKiB * 1024 - answer.memory_block_bytes) return null;
  return `the guest has ${Math.round(onlineBytes / 1024 ** 2)} MiB of ${Math.round(memoryKiB / 1024)} MiB online`;
}

/** Asks the guest to online what the host hot-plugged until what `want` says is online. Never throws. */
export async function onlineHotplugged(
  vm: GuestVm,
  want: HotplugWant,
  hub: HotplugHub | null = runningGuestHub(),
  timing: HotplugTiming = defaultHotplugTiming,
): Promise<GuestOnlineReport> {
  if (!hub) return { state: "skipped", reason: "this process runs no guest hub" };
  let status: GuestStatus;
  try {
    status = await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom);
  } catch (err) {
    return { state: "failed", reason: toServiceError(vm.context, err).message };
  }
  if (status.agent.state !== "connected") return { state: "skipped", reason: "the KVM Manager agent is not connected" };
  if (!status.agent.info?.capabilities.includes("hotplug.online")) {
    return { state: "skipped", reason: "the KVM Manager agent does not offer hotplug.online (older agent, a Windows guest, or switched off)" };
  }
  const deadline = timing.now() + timing.timeoutMs;
  const cpusOnlined = new Set<number>();
  const memoryOnlined = new Set<number>();
  let last: Answer;
  for (;;) {
    try {
      last = await hub.call(vm.hostId, status.uuid, "online_hotplugged", {}, { timeoutMs: 10_000 });
    } catch (err) {
      return { state: "failed", reason: `the KVM Manager agent could not: ${errorText(err)}` };
    }
    for (const n of last.cpus_onlined) cpusOnlined.add(n);
    for (const n of last.memory_onlined) memoryOnlined.add(n);
    const memoryDone = memoryShortfall(last, want.memoryKiB) === null || last.memory_block_bytes === null;
    if ((last.cpus_online >= (want.vcpus ?? 0) && memoryDone) || last.failed.length > 0 || timing.now() >= deadline) break;
    await timing.sleep(timing.intervalMs);
  }
  const done = {
    cpusOnline: last.cpus_online,
    cpusOnlined: [...cpusOnlined].sort((a, b) => a - b),
    memoryOnlined: [...memoryOnlined].sort((a, b) => a - b),
  };
  if (last.failed.length > 0) {
    return {
      state: "partial",
      ...done,
      reason: `the guest refused: ${last.failed
        .slice(0, 4)
        .map((f) => `${f.device} (${f.error})`)
        .join("; ")}${last.failed.length > 4 ? ` and ${last.failed.length - 4} more` : ""}`,
    };
  }
  if (want.vcpus !== undefined && last.cpus_online < want.vcpus) {
    return { state: "partial", ...done, reason: `the guest has ${last.cpus_online} of ${want.vcpus} vCPUs online after ${timing.timeoutMs / 1000} s` };
  }
  const memory = memoryShortfall(last, want.memoryKiB);
  if (memory) return { state: "partial", ...done, reason: last.memory_block_bytes === null ? memory : `${memory} after ${timing.timeoutMs / 1000} s` };
  return { state: "online", ...done };
}

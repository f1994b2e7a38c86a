import type { MethodResult } from "@/agent/protocol/methods";
import { errorText, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { runningGuestHub } from "./index";
import type { GuestVm } from "./service";

/**
 * After a live vCPU change (server/domains/resources.ts): many guests leave a hot-plugged vCPU
 * offline (no udev rule onlines it), so the product asks our agent's `online_hotplugged` to bring
 * it up. Best effort: the change is already made; the answer only says what the guest did.
 *
 * The guest's kernel learns of the new vCPU through an ACPI notification it handles on its own
 * time, so the agent is asked again until it sees as many online CPUs as the VM has, or the
 * deadline passes.
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

/** Asks the guest to online what the host hot-plugged until `vcpus` CPUs are online. Never throws. */
export async function onlineHotplugged(
  vm: GuestVm,
  vcpus: number,
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
    if (last.cpus_online >= vcpus || last.failed.length > 0 || timing.now() >= deadline) break;
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
  if (last.cpus_online < vcpus) {
    return { state: "partial", ...done, reason: `the guest has ${last.cpus_online} of ${vcpus} vCPUs online after ${timing.timeoutMs / 1000} s` };
  }
  return { state: "online", ...done };
}

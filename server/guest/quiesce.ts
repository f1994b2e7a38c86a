// Makes a guest's filesystems consistent for a point-in-time copy (a backup's begin, a snapshot):
// our agent's fs_freeze where it is connected, else stock qemu-guest-agent's fsfreeze through
// libvirt, else nothing, with the reason in plain words. The caller copies at once and thaws.
import { FREEZE_TIMEOUT_S } from "@/agent/protocol";
import { errorText } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { guestHub } from "./index";
import type { GuestVm } from "./service";

/** How a guest's filesystems were made consistent for a snapshot or backup. */
export type QuiesceMethod = "kvmm-agent" | "qemu-ga" | "none";

export interface Quiesced {
  /** "none": no agent answered (or freezing failed); the copy is crash-consistent, and `reason` says why in plain words. */
  method: QuiesceMethod;
  /** Mount points frozen (our agent) or the number libvirt reported (qemu-ga: domainFSFreeze's count as ["<n> filesystems"]). */
  frozen: string[];
  reason: string | null;
  /** Thaws what was frozen; idempotent; never throws (a failed thaw is logged; our agent also thaws itself after its timeout). */
  thaw(): Promise<void>;
}

/**
 * Freezes the guest's filesystems through our agent (fs_freeze with a timeout after which the agent
 * thaws by itself) or, without it, stock qemu-guest-agent through libvirt (domainFSFreeze), so the
 * caller can take a point-in-time copy (snapshot, backup begin) and then call thaw() at once.
 * Never throws for a missing/unanswering agent: returns method "none" with the reason.
 */
export type QuiesceFn = (vm: GuestVm, options: { timeoutMs: number }, hub?: GuestHub) => Promise<Quiesced>;

/** The agent's automatic thaw, in whole seconds within what the protocol allows. */
export function agentThawSeconds(timeoutMs: number): number {
  return Math.min(FREEZE_TIMEOUT_S.max, Math.max(FREEZE_TIMEOUT_S.min, Math.ceil(timeoutMs / 1000)));
}

/** A freeze can take a while (FIFREEZE syncs each filesystem first), but not forever. */
const FREEZE_ANSWER_MS = 60_000;

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function notQuiesced(reason: string): Quiesced {
  return { method: "none", frozen: [], reason, thaw: async () => undefined };
}

/** Runs `work` at most once, however often (and concurrently) it is called, and never rejects. */
function once(context: string, work: () => Promise<unknown>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () =>
    (running ??= work().then(
      () => undefined,
      (err: unknown) => console.error(`${context}: thaw failed: ${errorText(err)}`),
    ));
}

export const quiesce: QuiesceFn = async (vm, options, hub = guestHub()) => {
  let status: GuestStatus;
  try {
    status = await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom);
  } catch (err) {
    return notQuiesced(`the guest agents could not be reached: ${errorText(err)}`);
  }
  if (!status.running) return notQuiesced("the VM is not running");

  const tried: string[] = [];
  const agent = status.agent;
  if (agent.state === "connected" && agent.info?.capabilities.includes("fs.freeze")) {
    try {
      const result = await hub.call(vm.hostId, status.uuid, "fs_freeze", { timeout_s: agentThawSeconds(options.timeoutMs) }, { timeoutMs: FREEZE_ANSWER_MS });
      const thaw = once(`${vm.context}: KVM Manager agent`, () => hub.call(vm.hostId, status.uuid, "fs_thaw", {}, { timeoutMs: FREEZE_ANSWER_MS }));
      if (result.frozen.length === 0) {
        return { ...notQuiesced("the KVM Manager agent found no writable filesystem on a disk to freeze"), thaw };
      }
      return { method: "kvmm-agent", frozen: result.frozen, reason: null, thaw };
    } catch (err) {
      // Its answer may have been lost after it froze: an fs_thaw then is harmless, and the agent's own timeout is the backstop.
      void hub.call(vm.hostId, status.uuid, "fs_thaw", {}, { timeoutMs: FREEZE_ANSWER_MS }).catch(() => undefined);
      tried.push(`the KVM Manager agent could not freeze: ${errorText(err)}`);
    }
  } else if (agent.state === "connected") {
    tried.push(`the KVM Manager agent (${agent.info?.platform.os ?? "unknown OS"}, version ${agent.info?.version ?? "unknown"}) cannot freeze filesystems`);
  }

  if (status.qga.connected) {
    const thawQga = () => vm.conn.domainFsthaw({ dom: vm.dom, mountpoints: [], flags: 0 });
    const freezing = vm.conn.domainFsfreeze({ dom: vm.dom, mountpoints: [], flags: 0 });
    try {
      const count = await withDeadline(freezing, FREEZE_ANSWER_MS, "qemu-guest-agent did not answer the freeze");
      const thaw = once(`${vm.context}: qemu-guest-agent`, thawQga);
      return { method: "qemu-ga", frozen: [`${count} filesystems`], reason: null, thaw };
    } catch (err) {
      // A freeze that completes after we gave up must not leave the guest frozen: qemu-ga has no timeout of its own.
      void freezing.then(thawQga).catch(() => undefined);
      tried.push(`qemu-guest-agent could not freeze: ${errorText(err)}`);
    }
  }
  if (tried.length) return notQuiesced(tried.join("; "));
  return notQuiesced("no guest agent is connected (neither the KVM Manager agent nor qemu-guest-agent)");
};

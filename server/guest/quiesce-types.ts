// CONTRACT with the agent helper (server/guest/quiesce.ts implements it); the lead reconciles this copy at merge.
import type { GuestHub } from "@/server/guest";
import type { GuestVm } from "@/server/guest/service";

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

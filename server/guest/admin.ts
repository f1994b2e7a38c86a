import { VIR_DOMAIN_PASSWORD_ENCRYPTED } from "../libvirt";
import { ServiceError } from "../errors";
import { errorText, isGuestError, toServiceError } from "./errors";
import type { GuestHub, GuestStatus } from "./hub";
import { guestHub, runningGuestHub } from "./index";
import type { GuestVm } from "./service";

/**
 * Password and clock inside a guest (issue 15 item 4), the product's one way to reach a VM: our
 * agent when it is connected and announces the capability, else stock qemu-guest-agent through
 * libvirt (guest-set-user-password, guest-set-time), else a plain-words refusal.
 */

type AdminVm = GuestVm;

export type AdminHub = Pick<GuestHub, "track" | "call">;

export type GuestVia = "agent" | "qga";

async function track(vm: AdminVm, hub: AdminHub): Promise<GuestStatus> {
  try {
    return await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom);
  } catch (err) {
    throw toServiceError(vm.context, err);
  }
}

function agentOffers(status: GuestStatus, capability: string): boolean {
  return status.agent.state === "connected" && (status.agent.info?.capabilities.includes(capability) ?? false);
}

export interface SetPasswordInput {
  user: string;
  /** Clear text (the guest hashes it), or a crypt(3) hash with `crypted`. Never logged, audited or answered. */
  password: string;
  crypted: boolean;
}

/** Sets a guest account's password; the answer says which agent did it. */
export async function guestSetPassword(vm: AdminVm, input: SetPasswordInput, hub: AdminHub = guestHub()): Promise<{ via: GuestVia }> {
  try {
    return await setPassword(vm, input, hub);
  } catch (err) {
    throw withoutSecret(toServiceError(vm.context, err), input.password);
  }
}

async function setPassword(vm: AdminVm, input: SetPasswordInput, hub: AdminHub): Promise<{ via: GuestVia }> {
  const status = await track(vm, hub);
  if (!status.running) throw new ServiceError(`${vm.context}: the VM is not running`, "conflict");
  if (agentOffers(status, "user.password")) {
    try {
      await hub.call(
        vm.hostId,
        status.uuid,
        "set_user_password",
        { username: input.user, password: input.password, crypted: input.crypted },
        { timeoutMs: 40_000 },
      );
      return { via: "agent" };
    } catch (err) {
      // The agent went away between the status and the call: qemu-ga may still do it.
      if (!isGuestError(err, "not_connected") || !status.qga.connected) throw err;
    }
  }
  if (status.qga.connected) {
    await vm.conn.domainSetUserPassword({ dom: vm.dom, user: input.user, password: input.password, flags: input.crypted ? VIR_DOMAIN_PASSWORD_ENCRYPTED : 0 });
    return { via: "qga" };
  }
  const ours =
    status.agent.state === "connected"
      ? "the KVM Manager agent has set_user_password switched off (set_user_password_enabled in /etc/kvmmanager-agent/config.json)"
      : "the KVM Manager agent is not connected";
  throw new ServiceError(`${vm.context}: cannot set the password of "${input.user}": ${ours}, and qemu-guest-agent is not connected`, "conflict");
}

/** An error that quotes the password (a guest's or libvirt's words) loses it, and its cause with it. */
function withoutSecret(err: Error, secret: string): Error {
  if (!err.message.includes(secret)) return err;
  const message = err.message.split(secret).join("[redacted]");
  return err instanceof ServiceError ? new ServiceError(message, err.kind, { field: err.field }) : new Error(message);
}

export type TimeSync = { via: GuestVia; offsetMs: number | null } | { via: "none"; reason: string };

/**
 * Sets the guest clock to the host's: after a resume or a revert the guest's clock stood still
 * while the VM did not run. Our agent answers how far it corrected the clock; qemu-ga does not.
 */
export async function syncGuestTime(vm: AdminVm, hub: AdminHub = guestHub(), now: () => number = Date.now): Promise<TimeSync> {
  const status = await track(vm, hub);
  if (!status.running) return { via: "none", reason: "the VM is not running" };
  let agentFailure: string | null = null;
  if (agentOffers(status, "time.sync")) {
    try {
      const { offset_ms } = await hub.call(vm.hostId, status.uuid, "sync_time", { time_ms: now() }, { timeoutMs: 15_000 });
      return { via: "agent", offsetMs: offset_ms };
    } catch (err) {
      agentFailure = `the KVM Manager agent could not: ${errorText(err)}`;
    }
  }
  if (status.qga.connected) {
    const ms = now();
    await vm.conn.domainSetTime({ dom: vm.dom, seconds: BigInt(Math.floor(ms / 1000)), nseconds: (ms % 1000) * 1_000_000, flags: 0 });
    return { via: "qga", offsetMs: null };
  }
  return { via: "none", reason: agentFailure ?? "neither the KVM Manager agent (with time.sync) nor qemu-guest-agent is connected" };
}

/**
 * Best effort after a user's resume or revert: never fails or delays their action (not awaited by
 * it). A failure is logged with the VM named; a guest without an agent is simply left alone, and so
 * is every guest of a process that runs no hub (a script, a test), which must not start one.
 */
export function syncGuestTimeAfter(
  vm: AdminVm,
  action: string,
  hub: AdminHub | null = runningGuestHub(),
  log: (line: string) => void = (line) => console.warn(line),
): Promise<void> {
  if (!hub) return Promise.resolve();
  return syncGuestTime(vm, hub)
    .then((result) => {
      if (result.via === "none" && result.reason.startsWith("the KVM Manager agent could not"))
        log(`${vm.context}: clock not synced after ${action}: ${result.reason}`);
    })
    .catch((err: unknown) => log(`${vm.context}: clock not synced after ${action}: ${errorText(err)}`));
}

import {
  VIR_DOMAIN_REBOOT_ACPI_POWER_BTN,
  VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN,
  VIR_DOMAIN_SHUTDOWN_GUEST_AGENT,
  type Connection,
  type protocol,
} from "../libvirt";
import { ServiceError } from "../errors";
import { canDo, DESCRIBE_STATE, type PowerAction, type VmState } from "./power";

/**
 * The libvirt calls behind each power action. Kept apart from `power.ts` (the state table the UI
 * imports too) and from the service (which resolves the VM first), so a test can run every action
 * against a recording connection.
 */

/** The part of a connection the power actions use. */
export type PowerConnection = Pick<
  Connection,
  "domainCreateWithFlags" | "domainShutdownFlags" | "domainReboot" | "domainDestroyFlags" | "domainReset" | "domainSuspend" | "domainResume" | "domainPmWakeup"
>;

export interface PowerTarget {
  conn: PowerConnection;
  dom: protocol.NonnullDomain;
}

/** ACPI first, as a person pressing the power button would; the guest agent only when ACPI is refused. */
async function gracefulShutdown(vm: PowerTarget) {
  try {
    await vm.conn.domainShutdownFlags({ dom: vm.dom, flags: VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN });
  } catch (acpiError) {
    await vm.conn.domainShutdownFlags({ dom: vm.dom, flags: VIR_DOMAIN_SHUTDOWN_GUEST_AGENT }).catch(() => {
      throw acpiError;
    });
  }
}

const POWER: Record<PowerAction, (vm: PowerTarget, state: VmState) => Promise<unknown>> = {
  start: (vm) => vm.conn.domainCreateWithFlags({ dom: vm.dom, flags: 0 }),
  shutdown: gracefulShutdown,
  reboot: (vm) => vm.conn.domainReboot({ dom: vm.dom, flags: VIR_DOMAIN_REBOOT_ACPI_POWER_BTN }),
  forceOff: (vm) => vm.conn.domainDestroyFlags({ dom: vm.dom, flags: 0 }),
  reset: (vm) => vm.conn.domainReset({ dom: vm.dom, flags: 0 }),
  pause: (vm) => vm.conn.domainSuspend({ dom: vm.dom }),
  // A guest that suspended itself (S3) is woken like a sleeping machine; QEMU refuses a plain resume.
  resume: (vm, state) => (state === "pmsuspended" ? vm.conn.domainPmWakeup({ dom: vm.dom, flags: 0 }) : vm.conn.domainResume({ dom: vm.dom })),
};

/** Refuses an action the state table does not allow from `state`, in words: "cannot pause while it is shut off". */
export function assertTransition(context: string, action: PowerAction, state: VmState): void {
  if (!canDo(action, state)) {
    throw new ServiceError(`${context}: cannot ${action} while it is ${DESCRIBE_STATE[state]}`, "conflict");
  }
}

/** Runs the action on a VM already checked to be in `state`, a state the action may start from. */
export function runPowerAction(vm: PowerTarget, action: PowerAction, state: VmState): Promise<unknown> {
  return POWER[action](vm, state);
}

// The VM power state table, shared by the UI (which buttons show) and the server (what it refuses
// before asking libvirt, in power-actions.ts). No imports: client code loads this module.

/** libvirt's virDomainState, by name. */
export const VM_STATES = ["nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"] as const;
export type VmState = (typeof VM_STATES)[number];

export function vmStateName(state: number): VmState {
  return VM_STATES[state] ?? "nostate";
}

export const POWER_ACTIONS = ["start", "shutdown", "reboot", "forceOff", "reset", "pause", "resume"] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

const RUNNING: readonly VmState[] = ["running", "blocked"];

/** Which states each action may start from; anything else is refused before libvirt is asked. */
const ALLOWED_FROM: Record<PowerAction, readonly VmState[]> = {
  start: ["shutoff", "crashed"],
  shutdown: RUNNING,
  reboot: RUNNING,
  reset: [...RUNNING, "paused"],
  forceOff: [...RUNNING, "paused", "shutdown", "crashed", "pmsuspended"],
  pause: RUNNING,
  resume: ["paused", "pmsuspended"],
};

export const DESCRIBE_STATE: Record<VmState, string> = {
  nostate: "in no known state",
  running: "running",
  blocked: "running",
  paused: "paused",
  shutdown: "shutting down",
  shutoff: "shut off",
  crashed: "crashed",
  pmsuspended: "suspended by the guest",
};

/**
 * The state an action leaves the VM in when libvirt returns, where libvirt waits for it (destroy,
 * create, suspend and resume are synchronous); null where the action only asks the guest (ACPI
 * shutdown, reboot) or keeps the state (a reset keeps a paused VM paused). Lets a power action
 * answer with the new state without asking libvirt again; events report what happens later.
 */
const RESULT: Record<PowerAction, VmState | null> = {
  start: "running",
  forceOff: "shutoff",
  pause: "paused",
  resume: "running",
  shutdown: null,
  reboot: null,
  reset: null,
};

export function stateAfter(action: PowerAction, before: VmState): VmState {
  return RESULT[action] ?? before;
}

/**
 * The state a libvirt lifecycle event (by its lower-case name) leaves the VM in, so a browser can
 * show it without asking libvirt; null where the event does not say (defined, undefined).
 * "shutdown" (the guest finished shutting down, or QEMU is going) comes just before "stopped".
 */
const EVENT_STATE: Readonly<Record<string, VmState>> = {
  started: "running",
  resumed: "running",
  suspended: "paused",
  shutdown: "shutdown",
  stopped: "shutoff",
  crashed: "crashed",
  pmsuspended: "pmsuspended",
};

export function stateAfterEvent(event: string): VmState | null {
  return EVENT_STATE[event] ?? null;
}

/**
 * How long a guest gets to act on an ACPI shutdown or reboot before the VM page says it has not
 * and offers the forced action. Most Linux guests stop in seconds; one with nothing that handles
 * the power button never does. Tests move the browser's clock past it instead of waiting.
 */
export const POWER_REQUEST_WAIT_MS = 60_000;

export function canDo(action: PowerAction, state: VmState): boolean {
  return ALLOWED_FROM[action].includes(state);
}

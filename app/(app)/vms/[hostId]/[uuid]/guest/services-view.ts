import type { ServiceActionName, ServiceEntry } from "@/agent/protocol/schemas/services";

/**
 * The Services section's pure logic: which services a filter shows, which actions a row offers,
 * which need a confirmation, and why the section cannot list or act, from the guest's status.
 */

export type StateFilter = "all" | "active" | "inactive" | "failed";
export const STATE_FILTERS: readonly StateFilter[] = ["all", "active", "inactive", "failed"];

/** A row's active state as the filter groups it: activating/reloading count as active, deactivating as inactive. */
function stateGroup(service: ServiceEntry): Exclude<StateFilter, "all"> {
  if (service.active_state === "failed") return "failed";
  if (service.active_state === "active" || service.active_state === "activating" || service.active_state === "reloading") return "active";
  return "inactive";
}

/** The services whose name or description holds `text` (any case) and whose state is `state`, in the guest's order. */
export function filterServices(services: readonly ServiceEntry[], text: string, state: StateFilter): ServiceEntry[] {
  const needle = text.trim().toLowerCase();
  return services.filter(
    (s) =>
      (state === "all" || stateGroup(s) === state) &&
      (!needle || s.name.toLowerCase().includes(needle) || (s.description ?? "").toLowerCase().includes(needle)),
  );
}

/**
 * What a row offers: Start when it is not running, Stop and Restart when it is, Enable or Disable
 * by its boot state. Units systemd starts only as dependencies (static, indirect, generated…) or
 * that are masked have no enabled state to change.
 */
export function serviceActionsFor(service: ServiceEntry): ServiceActionName[] {
  const group = stateGroup(service);
  const actions: ServiceActionName[] = group === "active" ? ["stop", "restart"] : ["start"];
  if (service.enabled_state === "enabled" || service.enabled_state === "enabled-runtime") actions.push("disable");
  else if (service.enabled_state === "disabled") actions.push("enable");
  return actions;
}

/** Stop and Disable can cut the user off (sshd, networking): they are asked once before they run. */
export function needsConfirmation(action: ServiceActionName): boolean {
  return action === "stop" || action === "disable";
}

/** Services whose stop or disable cuts off remote access to the VM: the confirmation says so louder. */
export function cutsAccess(name: string): boolean {
  const base = name.replace(/\.service$/, "").toLowerCase();
  return (
    /^(ssh|sshd|openssh|dropbear)$/.test(base) ||
    /^(networking|network|networkmanager|systemd-networkd|systemd-resolved|wicked|dhcpcd|dhclient|netplan.*|ifup@.*)$/.test(base)
  );
}

/** Why the section cannot list services, or cannot act on them, as a key of the guestAdmin.services catalog. */
export type ServicesProblem = "notRunning" | "noAgent" | "listingOff" | "noInitSystem" | "actionsOff" | "noPermission";

export interface AgentView {
  running: boolean;
  /** Our agent's connection state (absent: the VM has no channel for it). */
  agentState: "connected" | "connecting" | "disconnected" | "absent" | null;
  capabilities: readonly string[];
}

/** Why nothing can be listed, before asking: the VM is off, no agent answers, or the agent offers no services. */
export function listProblem(view: AgentView): ServicesProblem | null {
  if (!view.running) return "notRunning";
  if (view.agentState !== "connected") return "noAgent";
  if (!view.capabilities.includes("services")) return "listingOff";
  return null;
}

/** Why the rows' buttons are off: the user lacks guest.exec, or the guest's admin left service_action_enabled off. */
export function actionProblem(view: AgentView, canExec: boolean): ServicesProblem | null {
  if (!canExec) return "noPermission";
  if (!view.capabilities.includes("services.manage")) return "actionsOff";
  return null;
}

/**
 * A failed list or action in plain words where the cause is one we know: the agent's own refusals
 * (agent/src/platform/linux/services.ts, agent/src/rpc/dispatcher.ts) and the hub's "not connected".
 * Anything else is shown in the server's words.
 */
export function problemOfError(message: string): ServicesProblem | null {
  if (/neither systemd nor OpenRC/i.test(message)) return "noInitSystem";
  if (/service_action_enabled is false/.test(message)) return "actionsOff";
  if (/services_enabled is false/.test(message)) return "listingOff";
  if (/not running/i.test(message)) return "notRunning";
  if (/did not connect|not connected|has no \S+ channel/i.test(message)) return "noAgent";
  return null;
}

/** The packages whose name holds `text` (any case), in the guest's order. */
export function filterPackages<P extends { name: string }>(packages: readonly P[], text: string): P[] {
  const needle = text.trim().toLowerCase();
  return needle ? packages.filter((p) => p.name.toLowerCase().includes(needle)) : [...packages];
}

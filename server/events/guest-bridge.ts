import type { GuestHub, GuestStatus } from "../guest";
import { publish } from "./bus";

/**
 * What a browser is told of a VM's guest agents: whether the VM runs, whether our agent is
 * connected, whether qemu-guest-agent is. The hub reports every change of its status (errors,
 * handshake counts, "connecting" while it probes an agent that is not there, about once a
 * second at first); only a change of these three facts is worth an event, and a page re-reads.
 */
export function guestFacts(status: GuestStatus) {
  return { running: status.running, agent: status.agent.state === "connected", qga: status.qga.connected };
}

/** Puts the guest hub's agent status changes and telemetry on the event bus, for open browsers. */
export function bridgeGuestHubEvents(hub: GuestHub): () => void {
  const last = new Map<string, string>();
  const onStatus = (status: GuestStatus) => {
    const facts = guestFacts(status);
    const key = `${status.hostId}/${status.uuid}`;
    const digest = JSON.stringify(facts);
    if (last.get(key) === digest) return;
    if (status.running) last.set(key, digest);
    else last.delete(key);
    publish({ type: "guest.status", hostId: status.hostId, uuid: status.uuid, name: status.name, ...facts });
  };
  const onTelemetry = (event: { hostId: string; uuid: string; metrics: unknown; at: string }) => {
    const name = hub.status(event.hostId, event.uuid)?.name;
    if (name) publish({ type: "guest.telemetry", hostId: event.hostId, uuid: event.uuid, name, at: event.at, metrics: event.metrics });
  };
  hub.on("status", onStatus);
  hub.on("telemetry", onTelemetry);
  return () => {
    hub.off("status", onStatus);
    hub.off("telemetry", onTelemetry);
  };
}

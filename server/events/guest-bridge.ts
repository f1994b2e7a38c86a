import type { GuestHub, GuestStatus } from "../guest";
import { publish } from "./bus";

/** Puts the guest hub's agent status changes and telemetry on the event bus, for open browsers. */
export function bridgeGuestHubEvents(hub: GuestHub): () => void {
  const onStatus = (status: GuestStatus) =>
    publish({ type: "guest.status", hostId: status.hostId, uuid: status.uuid, name: status.name, agent: status.agent.state, qga: status.qga.connected });
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

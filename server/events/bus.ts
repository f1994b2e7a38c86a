import { EventEmitter } from "node:events";
import type { TransferView } from "../storage/transfers";
import type { AlertView } from "../alerts/view";
import type { LiveTick } from "../metrics/live";
import type { TaskSummary } from "../tasks/store";
import { processSingleton } from "../process-shared";
import { stateAfterEvent, type VmState } from "../domains/power";
import {
  unansweredMessage,
  uuidToString,
  virDomainEventType,
  virNetworkEventLifecycleType,
  virStoragePoolEventLifecycleType,
  VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED,
  type Connection,
  type DomainEvent,
  type NetworkEvent,
  type StoragePoolEvent,
  type protocol,
} from "../libvirt";

/** What the manager tells browsers about, one shape for every source (libvirt events, guest agents, jobs). */
export type ManagerEvent =
  /** `state`: what the event leaves the VM in, when it says (see stateAfterEvent); null when it does not. */
  | { type: "domain.lifecycle"; hostId: string; uuid: string; name: string; event: LifecycleEventName; detail: number; state: VmState | null }
  | { type: "domain.agent"; hostId: string; uuid: string; name: string; connected: boolean }
  /** The guest restarted (its own reboot, or libvirt's ACPI reboot): no lifecycle event says so, the run state does not change. */
  | { type: "domain.reboot"; hostId: string; uuid: string; name: string }
  | { type: "domain.metadata"; hostId: string; uuid: string; name: string }
  | { type: "host.connection"; hostId: string; state: string; error: string | null }
  /** A migration (server/migration/) moved the VM: its page follows it to the destination (same uuid). */
  | { type: "domain.migrated"; hostId: string; uuid: string; name: string; toHostId: string }
  /** A host was added, changed, disabled or removed (server/hosts/): pages listing hosts refresh. */
  | { type: "host.changed"; hostId: string }
  /** Whether the VM runs and each guest agent is connected: sent when one of them changes. */
  | { type: "guest.status"; hostId: string; uuid: string; name: string; running: boolean; agent: boolean; qga: boolean }
  | { type: "guest.telemetry"; hostId: string; uuid: string; name: string; at: string; metrics: unknown }
  /** A host-wide resource changed: only users whose grants cover the host hear of it. */
  | { type: "network.lifecycle"; hostId: string; name: string; uuid: string; event: LowercaseName<typeof virNetworkEventLifecycleType> }
  | { type: "pool.lifecycle"; hostId: string; name: string; uuid: string; event: LowercaseName<typeof virStoragePoolEventLifecycleType> | "refreshed" }
  /** An upload or URL download into a pool moved on (progress at most twice a second, and each change of state). */
  | { type: "storage.transfer"; hostId: string; pool: string; transfer: TransferView }
  /**
   * An alert fired, or resolved, or was acknowledged (server/alerts/): about a VM (uuid and name set),
   * heard by users who may see the VM; about a host (uuid null), by users whose grants cover the host.
   * Not sent while a silence matches the alert.
   */
  | { type: "alert"; hostId: string; uuid: string | null; name: string | null; alert: AlertView }
  /**
   * A task (server/tasks/) began, moved on (at most every flushEveryMs) or ended. About a VM (uuid
   * and name set): heard by users who may see the VM; else by users whose grants cover the host.
   */
  | { type: "task"; hostId: string; uuid: string | null; name: string | null; task: TaskSummary }
  /** One collector tick of one host: its usage and its running VMs' (each user receives only the VMs their grants cover). */
  | ({ type: "metrics.tick" } & LiveTick);

type LowercaseName<T> = Lowercase<keyof T & string> | "unknown";

export type LifecycleEventName = Lowercase<keyof typeof virDomainEventType> | "unknown";

const LIFECYCLE_NAMES = new Map<number, LifecycleEventName>(
  Object.entries(virDomainEventType).map(([name, value]) => [value, name.toLowerCase() as LifecycleEventName]),
);

function namesOf<T extends Record<string, number>>(values: T): Map<number, LowercaseName<T>> {
  return new Map(Object.entries(values).map(([name, value]) => [value, name.toLowerCase() as LowercaseName<T>]));
}
const NETWORK_EVENT_NAMES = namesOf(virNetworkEventLifecycleType);
const POOL_EVENT_NAMES = namesOf(virStoragePoolEventLifecycleType);

const emitter = processSingleton("eventBus", () => {
  const e = new EventEmitter();
  // Every open browser tab subscribes once; the default cap of 10 would warn on an ordinary team.
  e.setMaxListeners(0);
  return e;
});

export function publish(event: ManagerEvent): void {
  emitter.emit("event", event);
}

export function subscribe(listener: (event: ManagerEvent) => void): () => void {
  emitter.on("event", listener);
  return () => emitter.off("event", listener);
}

function about(hostId: string, dom: protocol.NonnullDomain) {
  return { hostId, uuid: uuidToString(dom.uuid), name: dom.name };
}

export function toManagerEvent(hostId: string, ev: DomainEvent): ManagerEvent | null {
  switch (ev.kind) {
    case "lifecycle": {
      const event = LIFECYCLE_NAMES.get(ev.event) ?? "unknown";
      return { type: "domain.lifecycle", ...about(hostId, ev.dom), event, detail: ev.detail, state: stateAfterEvent(event) };
    }
    case "agentLifecycle":
      return { type: "domain.agent", ...about(hostId, ev.dom), connected: ev.state === VIR_CONNECT_DOMAIN_EVENT_AGENT_LIFECYCLE_STATE_CONNECTED };
    case "metadataChange":
      return { type: "domain.metadata", ...about(hostId, ev.dom) };
    case "reboot":
      return { type: "domain.reboot", ...about(hostId, ev.dom) };
    default:
      return null;
  }
}

export function networkEvent(hostId: string, ev: NetworkEvent): ManagerEvent {
  return { type: "network.lifecycle", hostId, name: ev.net.name, uuid: uuidToString(ev.net.uuid), event: NETWORK_EVENT_NAMES.get(ev.event) ?? "unknown" };
}

export function poolEvent(hostId: string, ev: StoragePoolEvent): ManagerEvent {
  const event = ev.kind === "refresh" ? "refreshed" : (POOL_EVENT_NAMES.get(ev.event) ?? "unknown");
  return { type: "pool.lifecycle", hostId, name: ev.pool.name, uuid: uuidToString(ev.pool.uuid), event };
}

const watched = processSingleton("watchedHosts", () => new Map<string, Promise<() => void>>());

/**
 * Bridges one host's libvirt events onto the bus, once per host however often it is asked;
 * the connection re-registers its callbacks after a libvirtd restart by itself.
 */
export function watchHost(hostId: string, conn: Connection): Promise<() => void> {
  const existing = watched.get(hostId);
  if (existing) return existing;
  const started = (async () => {
    const offState = conn.onStateChange((state, error) => publish({ type: "host.connection", hostId, state, error: error?.message ?? null }));
    const offSilence = conn.onSilenceChange((since) =>
      publish({ type: "host.connection", hostId, state: since ? "unresponsive" : conn.state, error: since ? unansweredMessage(since) : null }),
    );
    const unsubscribers = await Promise.all([
      conn.subscribeDomainEvents(
        (ev) => {
          const event = toManagerEvent(hostId, ev);
          if (event) publish(event);
        },
        ["lifecycle", "agentLifecycle", "metadataChange", "reboot"],
      ),
      conn.subscribeNetworkEvents((ev) => publish(networkEvent(hostId, ev))),
      conn.subscribeStoragePoolEvents((ev) => publish(poolEvent(hostId, ev))),
    ]);
    return () => {
      offState();
      offSilence();
      for (const unsubscribe of unsubscribers) void unsubscribe();
    };
  })();
  watched.set(hostId, started);
  started.catch(() => watched.delete(hostId));
  return started;
}

/** Stops bridging one host's events (it was disabled or removed); a later watchHost starts again. */
export async function unwatchHost(hostId: string): Promise<void> {
  const stopping = watched.get(hostId);
  watched.delete(hostId);
  const stop = await stopping?.catch(() => undefined);
  stop?.();
}

export async function unwatchAllHosts(): Promise<void> {
  const all = [...watched.values()];
  watched.clear();
  for (const stop of await Promise.allSettled(all)) if (stop.status === "fulfilled") stop.value();
}

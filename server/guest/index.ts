// The process-wide guest hub. server/main.ts starts it at boot and stops it on shutdown; the tRPC
// routers (in Next's copy of this module) reach the same hub through a process slot.
import { db } from "../db/client";
import { processSlot } from "../process-shared";
import { listHosts } from "../hosts/service";
import { GuestHub, type GuestHubOptions } from "./hub";

export { GuestHub } from "./hub";
export type { GuestHubOptions, GuestStatus, HostRef, HubConnection, QgaStatus } from "./hub";
export type { AgentState, AgentStatus, AgentCallOptions, ChannelTransport } from "./session";
export type { GuestFacts, Fact, FactSource } from "./facts";
export { GuestError, isGuestError } from "./errors";

interface Running {
  hub: GuestHub;
  started: Promise<void>;
}

const running = processSlot<Running>("guestHub");

/** The hub's default host list: every host row in the database. */
function databaseHosts() {
  return listHosts(db()).map(({ id, uri }) => ({ id, uri }));
}

/**
 * Starts the hub (idempotent): it watches every host in the database and keeps a connection to
 * the agent of every running VM that has the agent channel. Resolves once the first scan of each
 * reachable host is done; unreachable hosts are retried in the background.
 */
export async function startGuestHub(options: GuestHubOptions = {}): Promise<GuestHub> {
  let current = running.get();
  if (!current) {
    const hub = new GuestHub({ hosts: databaseHosts, ...options });
    const started = hub.start().catch((err: unknown) => {
      console.error("guest hub: start failed:", err);
    });
    current = { hub, started };
    running.set(current);
  }
  await current.started;
  return current.hub;
}

/** Stops the hub: closes every agent channel and drops the event subscriptions. */
export async function stopGuestHub(): Promise<void> {
  const current = running.get();
  if (!current) return;
  running.clear();
  await current.started;
  await current.hub.stop();
}

/** After a host was added, enabled, disabled or removed: the running hub (if any) re-reads the host list. */
export async function refreshGuestHubHosts(): Promise<void> {
  await running.get()?.hub.refreshHosts();
}

/** The hub if this process runs one, without starting it: for reads that can do without (the VM list's agent column). */
export function runningGuestHub(): GuestHub | null {
  return running.get()?.hub ?? null;
}

/** The running hub, started on first use when the process did not start it (e.g. `next dev`). */
export function guestHub(): GuestHub {
  const current = running.get();
  if (current) return current.hub;
  void startGuestHub();
  return running.get()!.hub;
}

// The process-wide guest hub. server/main.ts starts it at boot and stops it on shutdown.
//
// It lives on globalThis rather than in a module variable: Next.js bundles route handlers (and
// so the tRPC routers) into its own module graph, separate from the one server/main.ts loads, and
// both must see the same hub.
import { db } from "../db/client";
import { listHosts } from "../hosts/service";
import { GuestHub, type GuestHubOptions } from "./hub";

export { GuestHub } from "./hub";
export type { GuestHubOptions, GuestStatus, HostRef, HubConnection, QgaStatus } from "./hub";
export type { AgentState, AgentStatus, AgentCallOptions, ChannelTransport } from "./session";
export type { GuestFacts, Fact, FactSource } from "./facts";
export { GuestError, isGuestError } from "./errors";

const SLOT = Symbol.for("kvmmanager.guestHub");

interface Slot {
  hub: GuestHub;
  started: Promise<void>;
}

const globals = globalThis as typeof globalThis & { [SLOT]?: Slot };

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
  let slot = globals[SLOT];
  if (!slot) {
    const hub = new GuestHub({ hosts: databaseHosts, ...options });
    const started = hub.start().catch((err: unknown) => {
      console.error("guest hub: start failed:", err);
    });
    slot = { hub, started };
    globals[SLOT] = slot;
  }
  await slot.started;
  return slot.hub;
}

/** Stops the hub: closes every agent channel and drops the event subscriptions. */
export async function stopGuestHub(): Promise<void> {
  const slot = globals[SLOT];
  if (!slot) return;
  delete globals[SLOT];
  await slot.started;
  await slot.hub.stop();
}

/** The running hub, started on first use when the process did not start it (e.g. `next dev`). */
export function guestHub(): GuestHub {
  const slot = globals[SLOT];
  if (slot) return slot.hub;
  void startGuestHub();
  return globals[SLOT]!.hub;
}

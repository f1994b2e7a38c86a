import { currentUser } from "@/server/auth/session";
import { onSessionsRevoked } from "@/server/auth/sessions";
import { db } from "@/server/db/client";
import { loadSessionUser, type SessionUser } from "@/server/users/service";
import { listHosts } from "@/server/hosts/service";
import { getConnection } from "@/server/libvirt/registry";
import { subscribe, watchHost, type ManagerEvent } from "@/server/events/bus";
import { viewFor } from "@/server/events/visibility";
import { SseChannel } from "@/server/events/sse-channel";

export const dynamic = "force-dynamic";

/** A comment line often enough that proxies and phones keep the stream open, and a revoked session is noticed. */
const HEARTBEAT_MS = 25_000;
const WATCH_WAIT_MS = 3_000;
/** A client this far behind is dropped and reconnects (its page reloads what it shows). */
const MAX_QUEUED_BYTES = 1024 * 1024;
/** Events waiting for a visibility check (tag grants need a libvirt lookup); more means the client cannot keep up. */
const MAX_PENDING_CHECKS = 1000;

/**
 * Server-sent events: libvirt domain events, host connection changes, guest-agent status and
 * metrics ticks, filtered by the user's grants. The browser's EventSource reconnects by itself. The stream ends
 * when the user's session ends, and a change to their grants (which ends their sessions) applies
 * to the very next event.
 */
export async function GET(req: Request) {
  const first = await currentUser();
  if (!first) return Response.json({ error: "Sign in first." }, { status: 401 });
  let user: SessionUser = first;
  const hosts = listHosts(db());
  const uriOf = (hostId: string) => hosts.find((h) => h.id === hostId)?.uri;
  // Wait briefly for the libvirt subscriptions so events right after "connected" are not missed;
  // an unreachable host must not hold the stream up, it reports through host.connection events.
  const watching = hosts.map((host) => watchHost(host.id, getConnection(host.id, host.uri)).catch(() => undefined));
  await Promise.race([Promise.all(watching), new Promise((r) => setTimeout(r, WATCH_WAIT_MS))]);

  let unsubscribe = () => {};
  let offRevoked = () => {};
  // Runs first after HEARTBEAT_MS, when everything it uses below exists.
  const heartbeat = setInterval(() => {
    if (stillSignedIn()) channel.comment("heartbeat");
  }, HEARTBEAT_MS);
  const channel = new SseChannel({
    maxQueuedBytes: MAX_QUEUED_BYTES,
    onClose: () => {
      clearInterval(heartbeat);
      unsubscribe();
      offRevoked();
    },
  });
  /** Re-reads the user (grants included); false when the session has ended. */
  const stillSignedIn = () => {
    const fresh = loadSessionUser(db(), user.id, user.sessionId);
    if (fresh) user = fresh;
    else channel.close();
    return fresh !== null;
  };

  // Checks can take a metadata lookup; chaining them keeps events in the order they happened.
  let queue = Promise.resolve();
  let pending = 0;
  unsubscribe = subscribe((event: ManagerEvent) => {
    if (pending >= MAX_PENDING_CHECKS) return channel.close();
    pending += 1;
    queue = queue
      .then(() => (channel.isClosed ? null : viewFor(user, event, uriOf)))
      .then((view) => {
        if (view) channel.event(view.type, view);
      })
      .catch(() => undefined)
      .finally(() => {
        pending -= 1;
      });
  });
  offRevoked = onSessionsRevoked((userId) => {
    if (userId === user.id) stillSignedIn();
  });
  req.signal.addEventListener("abort", () => channel.close());
  channel.retry(5000);
  channel.comment("connected");
  return new Response(channel.stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
  });
}

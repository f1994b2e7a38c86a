import { currentUser } from "@/server/auth/session";
import { db } from "@/server/db/client";
import { loadSessionUser } from "@/server/users/service";
import { listHosts } from "@/server/hosts/service";
import { getConnection } from "@/server/libvirt/registry";
import { subscribe, watchHost, type ManagerEvent } from "@/server/events/bus";
import { visibleTo } from "@/server/events/visibility";

export const dynamic = "force-dynamic";

/** A comment line often enough that proxies and phones keep the stream open, and a revoked session is noticed. */
const HEARTBEAT_MS = 25_000;
const WATCH_WAIT_MS = 3_000;

/**
 * Server-sent events: libvirt domain events, host connection changes and guest-agent status,
 * filtered by the user's grants. The browser's EventSource reconnects by itself.
 */
export async function GET(req: Request) {
  const user = await currentUser();
  if (!user) return Response.json({ error: "Sign in first." }, { status: 401 });
  const hosts = listHosts(db());
  const uriOf = (hostId: string) => hosts.find((h) => h.id === hostId)?.uri;
  // Wait briefly for the libvirt subscriptions so events right after "connected" are not missed;
  // an unreachable host must not hold the stream up, it reports through host.connection events.
  const watching = hosts.map((host) => watchHost(host.id, getConnection(host.id, host.uri)).catch(() => undefined));
  await Promise.race([Promise.all(watching), new Promise((r) => setTimeout(r, WATCH_WAIT_MS))]);

  const encoder = new TextEncoder();
  let cleanup = () => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (text: string) => controller.enqueue(encoder.encode(text));
      // Checks can take a metadata lookup; chaining them keeps events in the order they happened.
      let queue = Promise.resolve();
      const onEvent = (event: ManagerEvent) => {
        queue = queue
          .then(() => visibleTo(user, event, uriOf))
          .then((ok) => {
            if (ok) send(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
          })
          .catch(() => undefined);
      };
      const unsubscribe = subscribe(onEvent);
      const heartbeat = setInterval(() => {
        if (!loadSessionUser(db(), user.id, user.sessionVersion)) return cleanup();
        send(": heartbeat\n\n");
      }, HEARTBEAT_MS);
      cleanup = () => {
        clearInterval(heartbeat);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed by the client going away
        }
      };
      req.signal.addEventListener("abort", () => cleanup());
      send("retry: 5000\n: connected\n\n");
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" },
  });
}

"use client";

import { createContext, useContext, useEffect, useEffectEvent, useRef, useState } from "react";
import { hashKey, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useTRPCClient } from "./trpc";
import { LiveEventHub, type LiveEvent, type LiveEventType } from "./live-event-hub";

export type { LiveEvent, LiveEventType } from "./live-event-hub";

const HubContext = createContext<LiveEventHub | null>(null);

/** Where a tab whose session ended goes: the sign-in form, which brings the user back here. */
function signInAgainUrl(location: Location): string {
  return `/login?callbackUrl=${encodeURIComponent(`${location.pathname}${location.search}`)}`;
}

/**
 * Opens the tab's one event stream (`/api/events`) for every component below it. Mounted once,
 * in the signed-in layout, so navigating between pages keeps the same connection.
 */
export function LiveEventsProvider({ children }: { children: React.ReactNode }) {
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [hub] = useState(
    () =>
      new LiveEventHub({
        connect: () => new EventSource("/api/events"),
        // A signed-in call that reads the server's session row: it answers UNAUTHORIZED exactly when the stream would.
        sessionEnded: () =>
          client.auth.me.query().then(
            () => false,
            (err: unknown) => (err instanceof TRPCClientError && err.data?.code === "UNAUTHORIZED" ? true : Promise.reject(err)),
          ),
        // A full load, not a client-side route change: the cached data belonged to the ended session.
        onSessionEnded: () => window.location.assign(signInAgainUrl(window.location)),
        // Active queries only: what is on screen is read again, the rest when next shown.
        onOpened: () => void queryClient.invalidateQueries(),
      }),
  );
  useEffect(() => {
    hub.start();
    return () => hub.stop();
  }, [hub]);
  return <HubContext value={hub}>{children}</HubContext>;
}

/**
 * Calls `handler` with each live event of the given type(s), typed by its name, for as long as
 * the component is mounted. The handler may change between renders without resubscribing.
 */
export function useLiveEvent<T extends LiveEventType>(types: T | readonly T[], handler: (event: LiveEvent<T>) => void): void {
  const hub = useContext(HubContext);
  if (!hub) throw new Error("useLiveEvent needs a LiveEventsProvider above it; the signed-in layout (app/(app)/layout.tsx) has one.");
  const onEvent = useEffectEvent(handler);
  // A string key: callers may pass a new array each render without resubscribing.
  const key = typeof types === "string" ? types : types.join(",");
  useEffect(() => hub.subscribe(key.split(",") as T[], (event) => onEvent(event)), [hub, key]);
}

/**
 * libvirt reports one change as several events within milliseconds (a forced power-off is
 * "shutdown" then "stopped"); waiting this long after the last one reads each query once.
 */
const BURST_MS = 100;

/**
 * Reads again the queries an event makes stale (`keysOf` names them; none for events about
 * something else), once per burst of events. Queries not on screen are only marked stale.
 */
export function useLiveRefetch<T extends LiveEventType>(types: T | readonly T[], keysOf: (event: LiveEvent<T>) => readonly QueryKey[]): void {
  const queryClient = useQueryClient();
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((timer) => clearTimeout(timer));
  }, []);
  useLiveEvent(types, (event) => {
    for (const queryKey of keysOf(event)) {
      const hash = hashKey(queryKey);
      clearTimeout(timers.current.get(hash));
      timers.current.set(
        hash,
        setTimeout(() => {
          timers.current.delete(hash);
          void queryClient.invalidateQueries({ queryKey });
        }, BURST_MS),
      );
    }
  });
}

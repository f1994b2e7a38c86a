"use client";

import { useEffect, useRef } from "react";

/**
 * Calls `onEvent` for each server-sent event of the given types. One EventSource per page; the
 * browser reconnects it by itself after network drops or a server restart.
 */
export function useLiveEvents(types: readonly string[], onEvent: (type: string, data: unknown) => void) {
  const latest = useRef(onEvent);
  useEffect(() => {
    latest.current = onEvent;
  });
  const key = types.join(",");
  useEffect(() => {
    const source = new EventSource("/api/events");
    const handlers = key.split(",").map((type) => {
      const handler = (e: MessageEvent<string>) => latest.current(type, JSON.parse(e.data));
      source.addEventListener(type, handler);
      return [type, handler] as const;
    });
    return () => {
      for (const [type, handler] of handlers) source.removeEventListener(type, handler);
      source.close();
    };
  }, [key]);
}

"use client";

import { useState } from "react";
import type { HistoryPoint } from "@/server/metrics/history";
import type { LiveTick } from "@/server/metrics/live";
import { useLiveEvent } from "./live-events";
import { livePoint } from "./metric-series";

/**
 * The figures of each `metrics.tick` that `pick` finds for this chart (a VM's, a host's), kept as
 * points per metric for the last `windowMs`, while `enabled`. Stored history plus these
 * (metric-series.ts `withLive`) is the live chart without reading the history again.
 */
export function useLivePoints<K extends string>(
  enabled: boolean,
  windowMs: number,
  pick: (tick: LiveTick) => Partial<Record<K, number | null>> | null,
): Partial<Record<K, HistoryPoint[]>> {
  const [points, setPoints] = useState<Partial<Record<K, HistoryPoint[]>>>({});
  const [wasEnabled, setWasEnabled] = useState(enabled);
  // Points gathered before a pause would leave a hole the stored history does not fill: start over.
  if (wasEnabled !== enabled) {
    setWasEnabled(enabled);
    setPoints({});
  }
  useLiveEvent("metrics.tick", (event) => {
    if (!enabled) return;
    const figures = pick(event);
    if (!figures) return;
    setPoints((previous) => {
      const next: Partial<Record<K, HistoryPoint[]>> = {};
      for (const key of Object.keys(figures) as K[]) {
        const kept = (previous[key] ?? []).filter((p) => p.at > event.at - windowMs);
        next[key] = [...kept, livePoint(event.at, figures[key] ?? null)];
      }
      return next;
    });
  });
  return points;
}

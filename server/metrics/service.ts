/**
 * The process's one collector (shared by server/main.ts and the Next.js bundle, see
 * process-shared.ts), wired to the real hosts, the guest hub's telemetry and the event bus.
 * Other parts use `latestTicks()`, `latestTick()` and `onTick()` (README.md).
 */
import { db } from "../db/client";
import { env } from "../config/env";
import { listHosts } from "../hosts/service";
import { hostTimeoutMs } from "../hosts/fan-out";
import { getConnection } from "../libvirt/registry";
import { processSingleton } from "../process-shared";
import { publish } from "../events/bus";
import type { GuestHub } from "../guest";
import type { Job } from "../jobs/runner";
import { MetricsCollector, type TickListener } from "./collector";
import { GuestTelemetryStore } from "./guest-telemetry";
import { liveTick, liveVmUsage, type LiveVmUsage } from "./live";
import type { MetricsTick } from "./sample";

export const COLLECTOR_JOB = "metrics-collector";

interface Shared {
  collector: MetricsCollector;
  telemetry: GuestTelemetryStore;
}

function intervalMs(): number {
  return env().KVMM_METRICS_INTERVAL_S * 1000;
}

/** Made on first use, not at import: `next build` imports this module without a server to run it. */
const shared = () =>
  processSingleton<Shared>("metricsCollector", () => {
    const telemetry = new GuestTelemetryStore();
    const collector = new MetricsCollector({
      hosts: () => listHosts(db()).map((h) => ({ id: h.id, conn: getConnection(h.id, h.uri) })),
      // A host gets KVMM_HOST_TIMEOUT_S, as everywhere, but never past the next tick.
      timeoutMs: Math.min(hostTimeoutMs(), intervalMs()),
      guest: (hostId, uuid, now) => telemetry.get(hostId, uuid, now),
      onVmsSeen: (hostId, uuids) => telemetry.retain(hostId, uuids),
    });
    // Browsers hear of every tick; the event stream filters its VMs by each user's grants.
    collector.onTick((tick) => publish({ type: "metrics.tick", ...liveTick(tick) }));
    return { collector, telemetry };
  });

/** The collector as a job of the runner (server/jobs), every KVMM_METRICS_INTERVAL_S seconds. */
export function collectorJob(): Job {
  return {
    name: COLLECTOR_JOB,
    intervalMs: intervalMs(),
    run: async () => {
      await shared().collector.collect();
    },
  };
}

/** Feeds the guest hub's `telemetry` notifications to the collector; returns the unsubscribe function. */
export function feedGuestTelemetry(hub: GuestHub): () => void {
  const onTelemetry = (event: { hostId: string; uuid: string; metrics: unknown }) =>
    shared().telemetry.record(event.hostId, event.uuid, event.metrics, Date.now());
  hub.on("telemetry", onTelemetry);
  return () => hub.off("telemetry", onTelemetry);
}

export function latestTicks(): MetricsTick[] {
  return shared().collector.latestTicks();
}

export function latestTick(hostId: string): MetricsTick | null {
  return shared().collector.latestTick(hostId);
}

export function onTick(listener: TickListener): () => void {
  return shared().collector.onTick(listener);
}

/** The latest usage of every running VM of a host that answered its last tick, by uuid. */
export function latestVmUsage(hostId: string): Map<string, LiveVmUsage> {
  const tick = shared().collector.latestTick(hostId);
  return new Map((tick?.host.reachable ? tick.vms : []).filter((vm) => vm.running).map((vm) => [vm.uuid, liveVmUsage(vm)]));
}

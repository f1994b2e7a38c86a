/**
 * Computing and storing insights: the daily job, the one shortly after start-up and an admin's
 * "Recompute now" all call `recomputeInsights`; one computation runs at a time (a second caller gets
 * the running one's report). `watchAgentSightings` records, from the guest hub's status events, when
 * each VM's agents were last seen connected.
 */
import type { Db } from "@/server/db/client";
import type { GuestHub, GuestStatus } from "@/server/guest";
import { processSlot } from "@/server/process-shared";
import { gatherInputs } from "./gather";
import { computeInsights, type InsightReport } from "./rules";
import { recordSighting, saveReport, type InsightTrigger } from "./store";

const inFlight = processSlot<Promise<InsightReport>>("insights.recompute");

export interface RecomputeOptions {
  hub: GuestHub | null;
  trigger: InsightTrigger;
  now?: () => number;
}

export function recomputeInsights(db: Db, { hub, trigger, now = Date.now }: RecomputeOptions): Promise<InsightReport> {
  const running = inFlight.get();
  if (running) return running;
  const run = (async () => {
    const at = now();
    const { hosts, failedHosts } = await gatherInputs(db, hub, at);
    const report = computeInsights(hosts, at, failedHosts);
    saveReport(db, report, trigger);
    return report;
  })().finally(() => inFlight.clear());
  inFlight.set(run);
  return run;
}

/** Records every status in which an agent is connected; returns the unsubscribe. */
export function watchAgentSightings(hub: GuestHub, db: Db, now: () => number = Date.now): () => void {
  const onStatus = (status: GuestStatus) => {
    try {
      if (status.agent.state === "connected") recordSighting(db, status.hostId, status.uuid, "agent", now());
      if (status.qga.connected) recordSighting(db, status.hostId, status.uuid, "qga", now());
    } catch (err) {
      console.error(`insights: VM ${status.uuid} on host "${status.hostId}": agent sighting not stored: ${(err as Error).message}`);
    }
  };
  hub.on("status", onStatus);
  // What is connected already when the watch starts counts as seen too.
  for (const status of hub.list()) onStatus(status);
  return () => void hub.off("status", onStatus);
}

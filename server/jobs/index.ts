/**
 * The process's background jobs (server/main.ts starts them after the guest hub and stops them
 * on shutdown). Each part of the manager that needs periodic work adds its job here.
 */
import { processSlot } from "../process-shared";
import type { GuestHub } from "../guest";
import { db } from "../db/client";
import { collectorJob, feedGuestTelemetry, onTick } from "../metrics/service";
import { historyMaintenance, startHistory } from "../metrics/history";
import { wireAlerts } from "../alerts/evaluator";
import { deliverDue } from "../notifications/queue";
import { JobRunner } from "./runner";

interface Running {
  runner: JobRunner;
  /** Ends what listens outside the runner: guest telemetry, and the tick subscribers. */
  stopFeeds: () => void;
}

/** Rolling up and expiring history is cheap per run (bounded batches); once a minute keeps the raw table near its window. */
const HISTORY_MAINTENANCE_MS = 60_000;

/**
 * How often due webhooks and e-mails are looked for: a new alert's notification leaves within a
 * second; the look is one indexed query when nothing is due.
 */
export const NOTIFICATIONS_JOB_MS = 1_000;

const running = processSlot<Running>("jobs");

export function startJobs(hub: GuestHub): JobRunner {
  const current = running.get();
  if (current) return current.runner;
  const runner = new JobRunner();
  runner.add(collectorJob());
  runner.add({ name: "alert notifications", intervalMs: NOTIFICATIONS_JOB_MS, run: async () => void (await deliverDue(db())) });
  runner.add({ name: "metrics history", intervalMs: HISTORY_MAINTENANCE_MS, run: async () => void (await historyMaintenance(db())) });
  // Subscribed before the first tick: history stores every tick, the alert rules see every one.
  const stopTelemetry = feedGuestTelemetry(hub);
  const stopHistory = startHistory(onTick, db());
  const stopAlerts = wireAlerts(onTick, db());
  const stopFeeds = () => {
    stopTelemetry();
    stopHistory?.();
    stopAlerts();
  };
  running.set({ runner, stopFeeds });
  runner.start();
  return runner;
}

/** Cancels every planned run and waits for those in progress. */
export async function stopJobs(): Promise<void> {
  const current = running.get();
  if (!current) return;
  running.clear();
  current.stopFeeds();
  await current.runner.stop();
}

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
import { recomputeInsights, watchAgentSightings } from "../insights/service";
import { deliverDue } from "../notifications/queue";
import { JobRunner } from "./runner";
import { failLeftoverTemplates } from "../templates/store";
import { taskRunner } from "../tasks/runner";
import { pruneTasks } from "../tasks/store";
import { scheduleEngine } from "../automation/engine";
import { onlineBootMemory } from "../guest/boot-memory";
import { resolveHost } from "../hosts/connection";
import { ServiceError } from "../errors";

interface Running {
  runner: JobRunner;
  /** Ends what listens outside the runner: guest telemetry, and the tick subscribers. */
  stopFeeds: () => void;
}

/** Finished tasks are few a day: pruning them hourly keeps the table within its retention. */
const TASK_RETENTION_MS = 3600_000;

/** Rolling up and expiring history is cheap per run (bounded batches); once a minute keeps the raw table near its window. */
const HISTORY_MAINTENANCE_MS = 60_000;

/** Insights are judged over days of history: once a day is enough. */
const INSIGHTS_INTERVAL_MS = 24 * 3600_000;
/**
 * The first computation after start-up waits this long, so that the guest hub has found the running
 * VMs and their agents have connected (else every VM would read as "without an agent").
 */
const INSIGHTS_FIRST_RUN_MS = 2 * 60_000;
/**
 * How often due webhooks and e-mails are looked for: a new alert's notification leaves within a
 * second; the look is one indexed query when nothing is due.
 */
export const NOTIFICATIONS_JOB_MS = 1_000;

const running = processSlot<Running>("jobs");

/** A host's connection, or null once the host was removed. */
function hostConnection(hostId: string) {
  try {
    return resolveHost(db(), hostId).conn;
  } catch (err) {
    if (err instanceof ServiceError && err.kind === "not_found") return null;
    throw err;
  }
}

export function startJobs(hub: GuestHub): JobRunner {
  const current = running.get();
  if (current) return current.runner;
  // Before anything else: tasks an earlier process left running are marked interrupted, never shown as running.
  taskRunner(db());
  // Likewise templates whose disks were being copied then: their copies are incomplete, so they are failed.
  failLeftoverTemplates(db());
  const runner = new JobRunner();
  runner.add(collectorJob());
  runner.add({ name: "tasks retention", intervalMs: TASK_RETENTION_MS, run: async () => void pruneTasks(db(), Date.now()) });
  runner.add({ name: "alert notifications", intervalMs: NOTIFICATIONS_JOB_MS, run: async () => void (await deliverDue(db())) });
  runner.add({ name: "metrics history", intervalMs: HISTORY_MAINTENANCE_MS, run: async () => void (await historyMaintenance(db())) });
  runner.add({
    name: "insights",
    intervalMs: INSIGHTS_INTERVAL_MS,
    firstRunAfterMs: INSIGHTS_FIRST_RUN_MS,
    run: async () => void (await recomputeInsights(db(), { hub, trigger: "schedule" })),
  });
  // Subscribed before the first tick: history stores every tick, the alert rules see every one.
  const stopTelemetry = feedGuestTelemetry(hub);
  const stopSightings = watchAgentSightings(hub, db());
  const stopBootMemory = onlineBootMemory(hub, { connection: hostConnection });
  const stopHistory = startHistory(onTick, db());
  const stopAlerts = wireAlerts(onTick, db());
  const stopFeeds = () => {
    stopTelemetry();
    stopSightings();
    stopBootMemory();
    stopHistory?.();
    stopAlerts();
  };
  running.set({ runner, stopFeeds });
  runner.start();
  // After the task runner: a catch-up snapshot with memory is a task. Its own timers, one per schedule (server/automation/).
  scheduleEngine(db()).start();
  return runner;
}

/** Cancels every planned run and waits for those in progress. */
export async function stopJobs(): Promise<void> {
  const current = running.get();
  if (!current) return;
  running.clear();
  current.stopFeeds();
  await Promise.all([current.runner.stop(), scheduleEngine(db()).stop()]);
}

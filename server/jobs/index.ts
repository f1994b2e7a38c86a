/**
 * The process's background jobs (server/main.ts starts them after the guest hub and stops them
 * on shutdown). Each part of the manager that needs periodic work adds its job here.
 */
import { processSlot } from "../process-shared";
import type { GuestHub } from "../guest";
import { collectorJob, feedGuestTelemetry } from "../metrics/service";
import { JobRunner } from "./runner";

interface Running {
  runner: JobRunner;
  stopFeeds: () => void;
}

const running = processSlot<Running>("jobs");

export function startJobs(hub: GuestHub): JobRunner {
  const current = running.get();
  if (current) return current.runner;
  const runner = new JobRunner();
  runner.add(collectorJob());
  const stopFeeds = feedGuestTelemetry(hub);
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

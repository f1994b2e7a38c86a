/**
 * The words of a task row (server/tasks/), free of database and server code so that the schema,
 * the services and client components can all import them.
 */

/** What a task does. A later kind (backup, restore, template deploy, migration) is added here and in the catalogs (tasks.kinds.*). */
export const TASK_KINDS = [
  "volume.upload",
  "volume.download",
  "vm.clone",
  "snapshot.memory",
  "backup.create",
  "backup.verify",
  "backup.restore",
  "template.create",
  "template.deploy",
  // Agent self-update (issue 15 item 5): server/guest/update-batch.ts.
  "agent.update",
  // Live and offline migration, and a host evacuated VM by VM (issue 14 item 3): server/migration/.
  "vm.migrate",
  "host.evacuate",
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/**
 * running: the operation is under way (an upload also between two of the browser's PUTs);
 * succeeded, failed, cancelled: how it ended; interrupted: it was running when the manager stopped.
 */
export const TASK_STATES = ["running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** What a task acts on: a VM (uuid set), a volume ("pool/volume"), a pool, or the host itself. */
export const TASK_TARGET_KINDS = ["vm", "volume", "pool", "host"] as const;
export type TaskTargetKind = (typeof TASK_TARGET_KINDS)[number];

/** Lines of log kept per task: the first ones (how it began) and the last ones (how it ended); see server/tasks/README.md. */
export const TASK_LOG_LINES = 200;
/** Characters kept of one log line. */
export const TASK_LOG_LINE_CHARS = 500;
/** Lines kept from the start of a log that overflowed: how the task began stays readable beside how it ended. */
export const TASK_LOG_HEAD = Math.floor(TASK_LOG_LINES / 4);

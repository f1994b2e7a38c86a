import { z } from "zod";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { Permission } from "../auth/permissions";
import type { ResolvedVm } from "../domains/lookup";
import { vmStateName, type VmState } from "../domains/power";
import { powerAction } from "../domains/service";
import { withLibvirtContext, ServiceError } from "../errors";
import { takeSnapshot } from "../snapshots/service";
import { runBackup } from "../backups/service";
import { quiesce } from "../guest/quiesce";
import { keepLastSnapshots, keepScheduleBackups } from "./retention";
import type { ScheduleActionName } from "./options";
import {
  backupOptionsSchema,
  NO_OPTIONS,
  shutdownOptionsSchema,
  snapshotNameFor,
  snapshotOptionsSchema,
  type BackupScheduleOptions,
  type ShutdownOptions,
  type SnapshotOptions,
} from "./options";

/**
 * What a schedule can do, one entry per action: the permission its creator needs (at creation and
 * at every run), the schema of its options (stored as JSON on the schedule), and how it acts on one
 * VM. Adding an action (the backup of issue 12 item 4) is one entry here plus its name in the
 * `schedules.action` enum of the schema and the catalogs (schedules.actions.*).
 */

/** What an action gets for one VM of a run. */
export interface ActionContext {
  db: Db;
  /** The schedule's creator, whose rights the run uses (loaded afresh for each run). */
  user: SessionUser;
  vm: ResolvedVm;
  schedule: { id: number; name: string; timeZone: string };
  /** The time the run is for (its fire time, or now for a run now): snapshot names are made from it. */
  at: Date;
  /** Waits on the engine's clock (tests move it instead of waiting). */
  sleep(ms: number): Promise<void>;
}

export interface ScheduleAction<Options> {
  permission: Permission;
  options: z.ZodType<Options>;
  /** Acts on one VM; answers the outcome in words (for the run's line), throws a ServiceError naming the VM on failure. */
  run(ctx: ActionContext, options: Options): Promise<string>;
}

async function stateOf(vm: ResolvedVm): Promise<VmState> {
  return withLibvirtContext(vm.context, async () => vmStateName((await vm.conn.domainGetState({ dom: vm.dom, flags: 0 })).state));
}

const isUp = (state: VmState) => state === "running" || state === "blocked" || state === "paused";

/** How often a shutdown looks whether the guest has gone off. */
export const SHUTDOWN_POLL_MS = 1000;

const start: ScheduleAction<Record<string, never>> = {
  permission: "vm.power",
  options: NO_OPTIONS,
  async run({ vm }) {
    if (isUp(await stateOf(vm))) return "already running";
    await powerAction(vm, "start");
    return "started";
  },
};

const shutdown: ScheduleAction<ShutdownOptions> = {
  permission: "vm.power",
  options: shutdownOptionsSchema,
  async run({ vm, sleep }, options) {
    const before = await stateOf(vm);
    if (!isUp(before) && before !== "shutdown") return "already shut off";
    if (before !== "shutdown") await powerAction(vm, "shutdown");
    for (let waited = 0; waited < options.timeoutSeconds * 1000; waited += SHUTDOWN_POLL_MS) {
      if ((await stateOf(vm)) === "shutoff") return "shut down";
      await sleep(SHUTDOWN_POLL_MS);
    }
    if ((await stateOf(vm)) === "shutoff") return "shut down";
    if (!options.forceOff) throw new ServiceError(`${vm.context}: did not shut down within ${options.timeoutSeconds} s (force off is not allowed)`, "conflict");
    await powerAction(vm, "forceOff");
    return `forced off after ${options.timeoutSeconds} s without shutting down`;
  },
};

const reboot: ScheduleAction<Record<string, never>> = {
  permission: "vm.power",
  options: NO_OPTIONS,
  async run({ vm }) {
    if ((await stateOf(vm)) !== "running") return "not running: nothing to reboot";
    await powerAction(vm, "reboot");
    return "rebooted";
  },
};

const snapshot: ScheduleAction<SnapshotOptions> = {
  permission: "vm.snapshot",
  options: snapshotOptionsSchema,
  async run({ db, user, vm, schedule, at }, options) {
    const name = snapshotNameFor(options.namePattern, schedule.name, at, schedule.timeZone);
    const memory = options.memory && isUp(await stateOf(vm));
    // Marked in its description for people; the schedule_snapshots row is what retention reads.
    await takeSnapshot(db, user, vm, { name, description: `Taken by schedule "${schedule.name}"`, memory });
    const deleted = await keepLastSnapshots(db, schedule.id, vm, name, at, options.keepLast);
    return deleted.length ? `snapshot "${name}" taken; deleted ${deleted.map((n) => `"${n}"`).join(", ")}` : `snapshot "${name}" taken`;
  },
};

const backup: ScheduleAction<BackupScheduleOptions> = {
  permission: "backup.create",
  options: backupOptionsSchema,
  async run({ db, user, vm, schedule, at }, options) {
    // A task like "Back up now" (progress, cancel); quiesced through the guest's agent where there is one.
    const made = await runBackup(db, vm, { user, pool: options.pool ?? undefined, quiesce, scheduleId: schedule.id }).done;
    const deleted = await keepScheduleBackups(db, schedule.id, vm, options, at);
    const what = `${made.kind} backup ${made.id} (${made.consistency}) in pool "${made.pool}"`;
    return deleted.length ? `${what}; deleted ${deleted.map((id) => `backup ${id}`).join(", ")}` : what;
  },
};

export const SCHEDULE_ACTIONS: { [K in ScheduleActionName]: ScheduleAction<never> } = {
  start: start as ScheduleAction<never>,
  shutdown: shutdown as ScheduleAction<never>,
  reboot: reboot as ScheduleAction<never>,
  snapshot: snapshot as ScheduleAction<never>,
  backup: backup as ScheduleAction<never>,
};

/** The action's options, checked by its schema (defaults filled in). */
export function parseActionOptions(action: ScheduleActionName, options: unknown): unknown {
  return (SCHEDULE_ACTIONS[action].options as z.ZodType).parse(options ?? {});
}

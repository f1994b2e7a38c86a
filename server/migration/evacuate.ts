import { uuidToString } from "../libvirt";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import { resolveVm, vmsInScope } from "../domains/lookup";
import type { ResolvedHost } from "../hosts/connection";
import { auditTargets } from "../audit/targets";
import { ServiceError } from "../errors";
import { taskRunner, type TaskHandle } from "../tasks/runner";
import { migrationOptionsSchema, type MigrationMode } from "./contract";
import { launchMigration } from "./migration-task";
import { preflightOf } from "./preflight";

export interface EvacuationOutcome {
  migrated: number;
  skipped: number;
  failed: number;
}

/**
 * A `host.evacuate` task: the host's running VMs (those the user may see), one at a time, each as
 * its own `vm.migrate` task with the default options. A VM whose pre-flight has errors is skipped
 * with them in the log; a failed migration is logged and the next VM goes on. A cancel takes effect
 * between two VMs: the one moving finishes (its own task can be cancelled on its own).
 */
export function launchEvacuation(db: Db, user: SessionUser, host: ResolvedHost, destHostId: string, mode: MigrationMode) {
  return taskRunner(db).run(
    { kind: "host.evacuate", target: { hostId: host.id, kind: "host", name: host.id }, user, detail: destHostId, cancellable: true },
    async (task) => {
      const running = (await vmsInScope(user, host.id, host.conn)).filter((dom) => dom.id !== -1);
      task.log(`Evacuating ${host.context} to ${auditTargets.host(destHostId)}: ${running.length} running VM(s)`);
      const outcome: EvacuationOutcome = { migrated: 0, skipped: 0, failed: 0 };
      for (const [i, dom] of running.entries()) {
        if (task.signal.aborted) {
          throw new ServiceError(`${host.context}: evacuation cancelled after ${i} of ${running.length} VM(s); the others stay`, "conflict");
        }
        outcome[await evacuateOne(db, user, host, uuidToString(dom.uuid), { destHostId, mode }, task)] += 1;
        task.progress({ fraction: (i + 1) / running.length });
      }
      task.log(`Done: ${outcome.migrated} migrated, ${outcome.skipped} skipped, ${outcome.failed} failed`);
      return outcome;
    },
    (outcome) => ({ ...outcome }),
  );
}

async function evacuateOne(
  db: Db,
  user: SessionUser,
  host: ResolvedHost,
  uuid: string,
  input: { destHostId: string; mode: MigrationMode },
  task: TaskHandle,
): Promise<keyof EvacuationOutcome> {
  let vm;
  try {
    vm = await resolveVm(host, user, uuid);
  } catch (err) {
    task.log(`Skipped ${auditTargets.vmById(host.id, uuid)}: ${(err as Error).message}`);
    return "skipped";
  }
  const options = migrationOptionsSchema.parse(input);
  const { result, plan } = await preflightOf(db, vm, options);
  if (!plan) {
    const errors = result.checks.filter((c) => c.status === "error").map((c) => c.message);
    task.log(`Skipped ${vm.context}: ${errors.join(" ")}`);
    return "skipped";
  }
  const { id, done } = launchMigration(db, user, vm, options, plan);
  task.log(`${vm.context}: migrating (task ${id})`);
  try {
    await done;
    task.log(`${vm.name} moved to ${auditTargets.host(options.destHostId)}`);
    return "migrated";
  } catch (err) {
    task.log(`${vm.name} did not move: ${(err as Error).message}`);
    return "failed";
  }
}

import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "../domains/lookup";
import type { ResolvedHost } from "../hosts/connection";
import { getHost } from "../hosts/service";
import { assertCoversHost } from "../hosts/scope";
import { ServiceError } from "../errors";
import type { MigrationMode, MigrationOptions, PreflightResult } from "./contract";
import { preflightOf } from "./preflight";
import { launchMigration } from "./migration-task";
import { launchEvacuation } from "./evacuate";

/** Everything that can be known before moving the VM; errors make `start` refuse. */
export async function preflight(db: Db, user: SessionUser, vm: ResolvedVm, options: MigrationOptions): Promise<PreflightResult> {
  // A user whose grants do not cover the destination learns nothing about it.
  assertCoversHost(user, options.destHostId);
  return (await preflightOf(db, vm, options)).result;
}

/** Runs the pre-flight, then the migration as a `vm.migrate` task; answers once the task is started. */
export async function startMigration(db: Db, user: SessionUser, vm: ResolvedVm, options: MigrationOptions): Promise<{ taskId: string }> {
  const { result, plan } = await preflightOf(db, vm, options);
  if (!plan) {
    const errors = result.checks.filter((c) => c.status === "error").map((c) => c.message);
    throw new ServiceError(`${vm.context}: cannot migrate to host "${options.destHostId}": ${errors.join(" ")}`, "conflict");
  }
  const { id, done } = launchMigration(db, user, vm, options, plan);
  // The task row records how it ends; nobody awaits the migration itself here.
  done.catch(() => undefined);
  return { taskId: id };
}

/** Migrates the host's running VMs to `destHostId` one at a time, as a `host.evacuate` task. */
export async function evacuateHost(db: Db, user: SessionUser, host: ResolvedHost, destHostId: string, mode: MigrationMode): Promise<{ taskId: string }> {
  if (destHostId === host.id) throw new ServiceError(`${host.context}: cannot evacuate a host onto itself`, "invalid");
  // A destination that does not exist is refused here, before a task is made; each VM's pre-flight checks the rest.
  getHost(db, destHostId);
  const { id, done } = launchEvacuation(db, user, host, destHostId, mode);
  done.catch(() => undefined);
  return { taskId: id };
}

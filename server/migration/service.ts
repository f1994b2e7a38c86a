// CONTRACT BRANCH ONLY: placeholders with the signatures helper M fills in (issue 14 item 3).
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "../domains/lookup";
import type { ResolvedHost } from "../hosts/connection";
import { ServiceError } from "../errors";
import type { MigrationMode, MigrationOptions, PreflightResult } from "./contract";

const todo = (): never => {
  throw new ServiceError("CONTRACT BRANCH ONLY", "conflict");
};

/** Everything that can be known before moving the VM; errors make `start` refuse. */
export async function preflight(_db: Db, _user: SessionUser, _vm: ResolvedVm, _options: MigrationOptions): Promise<PreflightResult> {
  return todo();
}
/** Runs the pre-flight, then the migration as a `vm.migrate` task; answers once the task is started. */
export async function startMigration(_db: Db, _user: SessionUser, _vm: ResolvedVm, _options: MigrationOptions): Promise<{ taskId: string }> {
  return todo();
}
/** Migrates the host's running VMs to `destHostId` one at a time, as a `host.evacuate` task. */
export async function evacuateHost(_db: Db, _user: SessionUser, _host: ResolvedHost, _destHostId: string, _mode: MigrationMode): Promise<{ taskId: string }> {
  return todo();
}

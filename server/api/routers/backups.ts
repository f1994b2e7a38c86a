import { z } from "zod";
import { hostProcedure, procedure, router, vmProcedure } from "../trpc";
import { hostIdSchema, nameSchema } from "@/server/identifiers";
import { auditTargets } from "@/server/audit/targets";
import { coversHost } from "@/server/auth/permissions";
import { resolveHost } from "@/server/hosts/connection";
import { assertCoversHost } from "@/server/hosts/scope";
import { poolNameSchema } from "@/server/storage/schemas";
import { hostUris } from "@/server/tasks/service";
import { taskRunner } from "@/server/tasks/runner";
import { backupContext, listBackups, visibleBackup, type BackupInfo, type BackupTarget } from "@/server/backups/store";
import {
  deleteBackup,
  listBackupTargets,
  removeBackupTarget,
  restoreAsNewVm,
  restoreOverVm,
  runBackup,
  setBackupTarget,
  verifyBackup,
} from "@/server/backups/service";
import { quiesce } from "@/server/guest/quiesce";

/** Dates as ISO strings, as the wire carries them (the server's caller and the browser see the same shape). */
function wire(b: BackupInfo) {
  return { ...b, startedAt: b.startedAt.toISOString(), finishedAt: b.finishedAt?.toISOString() ?? null, verifiedAt: b.verifiedAt?.toISOString() ?? null };
}
function wireTarget(t: BackupTarget) {
  return { ...t, createdAt: t.createdAt.toISOString() };
}

const backupIdSchema = z.string().regex(/^[0-9a-f]{16}$/, "a backup id is 16 hex digits");

/**
 * Backups (server/backups/): reading needs backup.read (every role) and is narrowed like VMs;
 * "Back up now" and verification backup.create (operators); restore, delete and the backup-target
 * setting are for admins (backup.restore, backup.delete, backup.target). Each mutation's audit row
 * names the backup inside its VM (`VM "web-1" on host "local": backup 1a2b…`) or the pool.
 */
export const backupsRouter = router({
  targets: procedure("backup.read").query(({ ctx }) =>
    listBackupTargets(ctx.db)
      .filter((t) => coversHost(ctx.user.role, ctx.user.grants, t.hostId))
      .map(wireTarget),
  ),

  setTarget: hostProcedure("backup.target")
    .input(z.object({ pool: poolNameSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.pool(ctx.host.id, input.pool);
      return wireTarget(await setBackupTarget(ctx.db, ctx.host, input.pool, ctx.user));
    }),

  removeTarget: hostProcedure("backup.target")
    .input(z.object({ pool: poolNameSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.pool(ctx.host.id, input.pool);
      removeBackupTarget(ctx.db, ctx.host.id, input.pool);
      return { ok: true };
    }),

  list: procedure("backup.read")
    .input(
      z.object({
        vm: z.object({ hostId: hostIdSchema, uuid: z.uuid() }).optional(),
        /** Only the backups of VMs on this host (the /backups page's host filter). */
        hostId: hostIdSchema.optional(),
        limit: z.number().int().min(1).max(1000).default(200),
      }),
    )
    .query(async ({ ctx, input }) => (await listBackups(taskRunner(ctx.db).db, ctx.user, input, hostUris(ctx.db))).map(wire)),

  /** Starts a backup (a task) and answers at once; the task and the row tell how it goes. */
  create: vmProcedure("backup.create")
    .input(
      z.object({
        pool: poolNameSchema.optional(),
        full: z.boolean().default(false),
        /** MiB/s per disk for a running VM's backup job; left out: unlimited. */
        bandwidthMiBs: z.number().int().min(1).max(1_000_000).optional(),
      }),
    )
    .mutation(({ ctx, input }) => {
      const started = runBackup(ctx.db, ctx.vm, { user: ctx.user, pool: input.pool, full: input.full, bandwidthMiBs: input.bandwidthMiBs, quiesce });
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `backup ${started.backupId}`);
      // The row and the task record a failure; nothing waits on it here.
      started.done.catch(() => undefined);
      return { backupId: started.backupId, taskId: started.taskId };
    }),

  verify: procedure("backup.create")
    .input(z.object({ id: backupIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.backup(input.id);
      const backup = await visibleBackup(ctx.db, ctx.user, input.id, hostUris(ctx.db));
      ctx.audit.target = backupContext(backup);
      return verifyBackup(ctx.db, backup, ctx.user);
    }),

  restore: procedure("backup.restore")
    .input(z.object({ id: backupIdSchema, name: nameSchema, pool: poolNameSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.backup(input.id);
      const backup = await visibleBackup(ctx.db, ctx.user, input.id, hostUris(ctx.db));
      ctx.audit.target = backupContext(backup);
      assertCoversHost(ctx.user, backup.hostId);
      return restoreAsNewVm(ctx.db, resolveHost(ctx.db, backup.hostId), backup, { name: input.name, pool: input.pool }, ctx.user);
    }),

  /** Over the VM it was taken of: the VM must be shut off and `confirmName` must be its name. */
  restoreOver: vmProcedure("backup.restore")
    .input(z.object({ id: backupIdSchema, confirmName: z.string().max(256) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `backup ${input.id}`);
      const backup = await visibleBackup(ctx.db, ctx.user, input.id, hostUris(ctx.db));
      return restoreOverVm(ctx.db, ctx.vm, backup, input.confirmName, ctx.user);
    }),

  delete: procedure("backup.delete")
    .input(z.object({ id: backupIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.backup(input.id);
      const backup = await visibleBackup(ctx.db, ctx.user, input.id, hostUris(ctx.db));
      ctx.audit.target = backupContext(backup);
      assertCoversHost(ctx.user, backup.hostId);
      const host = resolveHost(ctx.db, backup.hostId);
      await deleteBackup(ctx.db, backup, host.conn);
      return { ok: true };
    }),
});

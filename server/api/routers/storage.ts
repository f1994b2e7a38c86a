import { z } from "zod";
import { hostProcedure, router, vmProcedure } from "../trpc";
import type { Permission } from "@/server/auth/permissions";
import { nameSchema } from "@/server/identifiers";
import { auditTargets } from "@/server/audit/targets";
import { buildPool, definePool, deletePool, getPool, listPools, refreshPool, setPoolAutostart, startPool, stopPool } from "@/server/storage/pools";
import { createVolume, deleteVolume, getVolume, listVolumes, resizeVolume } from "@/server/storage/volumes";
import { attachDisk, detachDisk } from "@/server/storage/disks";
import { attachNewDisk, changeMedia, growDisk, listVmDisks, setBootOrder } from "@/server/storage/vm-disks";
import { cancelTransfer, listTransfers, startUpload, startUrlDownload } from "@/server/storage/transfers";
import {
  bootDeviceSchema,
  diskBusSchema,
  diskTargetSchema,
  driveTargetSchema,
  poolNameSchema,
  poolRefSchema,
  poolSpecSchema,
  volumeCreateSchema,
  volumeFormatSchema,
  volumeNameSchema,
  volumeRefSchema,
  volumeSizeSchema,
  transferIdSchema,
  uploadStartSchema,
  urlDownloadSchema,
} from "@/server/storage/schemas";

/** A procedure on one pool of the host: the audit row names the pool. */
function poolProcedure(permission: Permission) {
  return hostProcedure(permission)
    .input(poolRefSchema)
    .use(({ ctx, input, next }) => {
      ctx.audit.target = auditTargets.pool(ctx.host.id, input.pool);
      return next();
    });
}

/** A procedure on one volume of a pool of the host: the audit row names the volume. */
function volumeProcedure(permission: Permission) {
  return hostProcedure(permission)
    .input(volumeRefSchema)
    .use(({ ctx, input, next }) => {
      ctx.audit.target = auditTargets.volume(ctx.host.id, input.pool, input.volume);
      return next();
    });
}

/**
 * Storage pools and volumes of a host, and volumes attached to VMs as disks. Reads are narrowed by
 * the user's grants in the services; changing pools and volumes needs grants covering the host
 * (hostProcedure). Uploads are declared here (`startUpload`) and their bytes PUT to a streaming route
 * (app/api/storage/uploads/[id]/route.ts); see server/storage/transfers.ts.
 */
export const storageRouter = router({
  pools: hostProcedure("storage.read").query(({ ctx }) => listPools(ctx.host, ctx.user)),

  pool: poolProcedure("storage.read").query(({ ctx, input }) => getPool(ctx.host, ctx.user, input.pool)),

  definePool: hostProcedure("storage.manage")
    .input(
      z.object({
        spec: poolSpecSchema,
        /** Default: yes for dir and netfs pools (makes the directory), no for logical ones (would format the devices). */
        build: z.boolean().optional(),
        start: z.boolean().default(true),
        autostart: z.boolean().default(true),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.pool(ctx.host.id, input.spec.name);
      const build = input.build ?? input.spec.type !== "logical";
      return definePool(ctx.host, input.spec, { build, start: input.start, autostart: input.autostart });
    }),

  buildPool: poolProcedure("storage.manage").mutation(({ ctx, input }) => buildPool(ctx.host, input.pool)),

  startPool: poolProcedure("storage.manage").mutation(({ ctx, input }) => startPool(ctx.host, input.pool)),

  stopPool: poolProcedure("storage.manage").mutation(({ ctx, input }) => stopPool(ctx.host, input.pool)),

  refreshPool: poolProcedure("storage.manage").mutation(({ ctx, input }) => refreshPool(ctx.host, input.pool)),

  setPoolAutostart: poolProcedure("storage.manage")
    .input(z.object({ autostart: z.boolean() }))
    .mutation(({ ctx, input }) => setPoolAutostart(ctx.host, input.pool, input.autostart)),

  deletePool: poolProcedure("storage.manage")
    .input(z.object({ deleteData: z.boolean().default(false), deleteVolumes: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => deletePool(ctx.host, input.pool, { deleteData: input.deleteData, deleteVolumes: input.deleteVolumes })),

  volumes: poolProcedure("storage.read").query(({ ctx, input }) => listVolumes(ctx.host, ctx.user, input.pool)),

  volume: volumeProcedure("storage.read").query(({ ctx, input }) => getVolume(ctx.host, ctx.user, input.pool, input.volume)),

  createVolume: poolProcedure("storage.manage")
    .input(volumeCreateSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.volume(ctx.host.id, input.pool, input.name);
      return createVolume(ctx.host, input.pool, { name: input.name, format: input.format, capacityBytes: input.capacityBytes, preallocate: input.preallocate });
    }),

  deleteVolume: volumeProcedure("storage.manage")
    .input(z.object({ detachFrom: z.array(nameSchema).max(16).default([]) }))
    .mutation(({ ctx, input }) => deleteVolume(ctx.host, ctx.user, input.pool, input.volume, { detachFrom: input.detachFrom })),

  resizeVolume: volumeProcedure("storage.manage")
    .input(z.object({ capacityBytes: volumeSizeSchema, allowShrink: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => resizeVolume(ctx.host, input.pool, input.volume, input.capacityBytes, { allowShrink: input.allowShrink })),

  /** Uploads and URL downloads into the pool, under way or ended within the hour. */
  transfers: poolProcedure("storage.read").query(({ ctx, input }) => listTransfers(ctx.user, ctx.host.id, input.pool)),

  startUpload: poolProcedure("storage.manage")
    .input(uploadStartSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.volume(ctx.host.id, input.pool, input.name);
      return startUpload(ctx.db, ctx.host, ctx.user, input.pool, input);
    }),

  downloadFromUrl: poolProcedure("storage.manage")
    .input(urlDownloadSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.volume(ctx.host.id, input.pool, input.name);
      return startUrlDownload(ctx.db, ctx.host, ctx.user, input.pool, input);
    }),

  /** Stops a transfer and deletes its volume; one that has ended is only taken off the list. */
  cancelTransfer: poolProcedure("storage.manage")
    .input(z.object({ id: transferIdSchema }))
    .mutation(({ ctx, input }) => cancelTransfer(ctx.host, ctx.user, input.pool, input.id)),

  attachDisk: vmProcedure("vm.edit")
    .input(
      z.object({
        pool: poolNameSchema,
        volume: volumeNameSchema,
        bus: diskBusSchema.default("virtio"),
        target: diskTargetSchema.optional(),
        readonly: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `volume "${input.volume}" of pool "${input.pool}"`);
      return attachDisk(ctx.vm, ctx.user, input);
    }),

  detachDisk: vmProcedure("vm.edit")
    .input(z.object({ target: diskTargetSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `disk ${input.target}`);
      return detachDisk(ctx.vm, input.target);
    }),

  /** The VM's Disks tab: every drive with its size and pool volume, and the boot order. */
  vmDisks: vmProcedure("vm.read").query(({ ctx }) => listVmDisks(ctx.vm)),

  /** A new volume made in a pool and attached; removed again if the attach fails. */
  attachNewDisk: vmProcedure("vm.edit")
    .input(
      z.object({
        pool: poolNameSchema,
        name: volumeNameSchema,
        format: volumeFormatSchema.default("qcow2"),
        capacityBytes: volumeSizeSchema,
        bus: diskBusSchema.default("virtio"),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `new volume "${input.name}" of pool "${input.pool}"`);
      return attachNewDisk(ctx.vm, ctx.user, input);
    }),

  growDisk: vmProcedure("vm.edit")
    .input(z.object({ target: diskTargetSchema, capacityBytes: volumeSizeSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `disk ${input.target}`);
      return growDisk(ctx.vm, input.target, input.capacityBytes);
    }),

  /** Inserts a pool's volume (an ISO) into a CD-ROM drive, or ejects it (`media` null). */
  changeMedia: vmProcedure("vm.edit")
    .input(z.object({ target: driveTargetSchema, media: z.object({ pool: poolNameSchema, volume: volumeNameSchema }).nullable() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `drive ${input.target}`);
      return changeMedia(ctx.vm, ctx.user, input.target, input.media);
    }),

  setBootOrder: vmProcedure("vm.edit")
    .input(z.object({ order: z.array(bootDeviceSchema).min(1, "at least one device").max(64) }))
    .mutation(({ ctx, input }) => setBootOrder(ctx.vm, input.order)),
});

import { z } from "zod";
import { procedure, router } from "../trpc";
import { vmRefSchema } from "../../domains/lookup";
import {
  buildPool,
  definePool,
  deletePool,
  getPool,
  listPools,
  poolContext,
  refreshPool,
  setPoolAutostart,
  startPool,
  stopPool,
} from "../../storage/pools";
import { createVolume, deleteVolume, getVolume, listVolumes, resizeVolume, volumeContext } from "../../storage/volumes";
import { attachDisk, detachDisk } from "../../storage/disks";
import { assertCoversHost } from "../../hosts/scope";
import {
  diskBusSchema,
  diskTargetSchema,
  hostIdSchema,
  poolNameSchema,
  poolRefSchema,
  poolSpecSchema,
  volumeCreateSchema,
  volumeNameSchema,
  volumeRefSchema,
  volumeSizeSchema,
} from "../../storage/schemas";

/**
 * Storage pools and volumes of a host, and volumes attached to VMs as disks. Upload/download are service-only for now.
 * Reads are narrowed by the user's grants in the services; changing pools and volumes needs grants covering the host.
 */
export const storageRouter = router({
  pools: procedure("storage.read")
    .input(z.object({ hostId: hostIdSchema }))
    .query(({ ctx, input }) => listPools(ctx.db, ctx.user, input.hostId)),

  pool: procedure("storage.read")
    .input(poolRefSchema)
    .query(({ ctx, input }) => getPool(ctx.db, ctx.user, input.hostId, input.pool)),

  definePool: procedure("storage.manage")
    .input(
      z.object({
        hostId: hostIdSchema,
        spec: poolSpecSchema,
        /** Default: yes for dir and netfs pools (makes the directory), no for logical ones (would format the devices). */
        build: z.boolean().optional(),
        start: z.boolean().default(true),
        autostart: z.boolean().default(true),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.spec.name);
      assertCoversHost(ctx.user, input.hostId);
      const build = input.build ?? input.spec.type !== "logical";
      return definePool(ctx.db, input.hostId, input.spec, { build, start: input.start, autostart: input.autostart });
    }),

  buildPool: procedure("storage.manage")
    .input(poolRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return buildPool(ctx.db, input.hostId, input.pool);
    }),

  startPool: procedure("storage.manage")
    .input(poolRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return startPool(ctx.db, input.hostId, input.pool);
    }),

  stopPool: procedure("storage.manage")
    .input(poolRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return stopPool(ctx.db, input.hostId, input.pool);
    }),

  refreshPool: procedure("storage.manage")
    .input(poolRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return refreshPool(ctx.db, input.hostId, input.pool);
    }),

  setPoolAutostart: procedure("storage.manage")
    .input(poolRefSchema.extend({ autostart: z.boolean() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return setPoolAutostart(ctx.db, input.hostId, input.pool, input.autostart);
    }),

  deletePool: procedure("storage.manage")
    .input(poolRefSchema.extend({ deleteData: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = poolContext(input.hostId, input.pool);
      assertCoversHost(ctx.user, input.hostId);
      return deletePool(ctx.db, input.hostId, input.pool, { deleteData: input.deleteData });
    }),

  volumes: procedure("storage.read")
    .input(poolRefSchema)
    .query(({ ctx, input }) => listVolumes(ctx.db, ctx.user, input.hostId, input.pool)),

  volume: procedure("storage.read")
    .input(volumeRefSchema)
    .query(({ ctx, input }) => getVolume(ctx.db, ctx.user, input.hostId, input.pool, input.volume)),

  createVolume: procedure("storage.manage")
    .input(poolRefSchema.extend(volumeCreateSchema.shape))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = volumeContext(input.hostId, input.pool, input.name);
      assertCoversHost(ctx.user, input.hostId);
      return createVolume(ctx.db, input.hostId, input.pool, { name: input.name, format: input.format, capacityBytes: input.capacityBytes });
    }),

  deleteVolume: procedure("storage.manage")
    .input(volumeRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = volumeContext(input.hostId, input.pool, input.volume);
      assertCoversHost(ctx.user, input.hostId);
      return deleteVolume(ctx.db, input.hostId, input.pool, input.volume);
    }),

  resizeVolume: procedure("storage.manage")
    .input(volumeRefSchema.extend({ capacityBytes: volumeSizeSchema, allowShrink: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = volumeContext(input.hostId, input.pool, input.volume);
      assertCoversHost(ctx.user, input.hostId);
      return resizeVolume(ctx.db, input.hostId, input.pool, input.volume, input.capacityBytes, { allowShrink: input.allowShrink });
    }),

  attachDisk: procedure("vm.edit")
    .input(
      vmRefSchema.extend({
        pool: poolNameSchema,
        volume: volumeNameSchema,
        bus: diskBusSchema.default("virtio"),
        target: diskTargetSchema.optional(),
        readonly: z.boolean().default(false),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = `vm ${input.hostId}/${input.uuid}: volume "${input.volume}" of pool "${input.pool}"`;
      const { hostId, uuid, ...spec } = input;
      return attachDisk(ctx.db, ctx.user, { hostId, uuid }, spec);
    }),

  detachDisk: procedure("vm.edit")
    .input(vmRefSchema.extend({ target: diskTargetSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = `vm ${input.hostId}/${input.uuid}: disk ${input.target}`;
      return detachDisk(ctx.db, ctx.user, { hostId: input.hostId, uuid: input.uuid }, input.target);
    }),
});

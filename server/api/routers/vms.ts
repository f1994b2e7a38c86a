import { z } from "zod";
import { procedure, router } from "../trpc";
import { hostIdSchema } from "./hosts";
import { vmNameSchema, vmRefSchema } from "../../domains/lookup";
import { POWER_ACTIONS } from "../../domains/power";
import { MAX_TAGS, TAG_PATTERN } from "../../domains/tags";
import { MAX_IMPORT_XML_BYTES } from "../../domains/import";
import { createVm, createVmSchema } from "../../domains/create";
import { cloneVm } from "../../domains/clone";
import { importXml } from "../../domains/importer";
import { assertCoversHost } from "../../hosts/scope";
import {
  addAgentChannels,
  deleteVm,
  exportXml,
  getVm,
  listVms,
  powerAction,
  renameVm,
  setAutostart,
  setResources,
  setTags,
} from "../../domains/service";

const tagsSchema = z.array(z.string().regex(TAG_PATTERN, "tags are 1–32 letters, digits, . _ -")).max(MAX_TAGS);

export const vmsRouter = router({
  list: procedure("vm.read")
    .input(z.object({ hostId: hostIdSchema.optional() }).default({}))
    .query(({ ctx, input }) => listVms(ctx.db, ctx.user, input.hostId)),

  get: procedure("vm.read")
    .input(vmRefSchema)
    .query(({ ctx, input }) => getVm(ctx.db, ctx.user, input)),

  power: procedure("vm.power")
    .input(vmRefSchema.extend({ action: z.enum(POWER_ACTIONS) }))
    .mutation(async ({ ctx, input }) => {
      const result = await powerAction(ctx.db, ctx.user, input, input.action);
      ctx.audit.target = result.context;
      return { state: result.state };
    }),

  delete: procedure("vm.delete")
    .input(vmRefSchema.extend({ confirmName: z.string().max(64), deleteStorage: z.boolean().default(false) }))
    .mutation(async ({ ctx, input }) => {
      const result = await deleteVm(ctx.db, ctx.user, input, input);
      ctx.audit.target = result.context;
      return { deletedVolumes: result.deletedVolumes };
    }),

  setAutostart: procedure("vm.edit")
    .input(vmRefSchema.extend({ enabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = (await setAutostart(ctx.db, ctx.user, input, input.enabled)).context;
      return { ok: true as const };
    }),

  rename: procedure("vm.edit")
    .input(vmRefSchema.extend({ newName: vmNameSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = (await renameVm(ctx.db, ctx.user, input, input.newName)).context;
      return { ok: true as const };
    }),

  setResources: procedure("vm.edit")
    .input(vmRefSchema.extend({ vcpus: z.number().int().min(1).max(256), memoryMiB: z.number().int().min(64).max(4 * 1024 * 1024) }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = (await setResources(ctx.db, ctx.user, input, input)).context;
      return { ok: true as const };
    }),

  setTags: procedure("vm.edit")
    .input(vmRefSchema.extend({ tags: tagsSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = (await setTags(ctx.db, ctx.user, input, [...new Set(input.tags)])).context;
      return { ok: true as const };
    }),

  exportXml: procedure("vm.read")
    .input(vmRefSchema)
    .query(({ ctx, input }) => exportXml(ctx.db, ctx.user, input)),

  create: procedure("vm.create")
    .input(createVmSchema)
    .mutation(async ({ ctx, input }) => {
      // A new VM takes volumes from the host's pools and joins its networks: host-wide resources.
      assertCoversHost(ctx.user, input.hostId);
      const result = await createVm(ctx.db, input);
      ctx.audit.target = result.context;
      return { uuid: result.uuid, name: result.name };
    }),

  clone: procedure("vm.create")
    .input(vmRefSchema.extend({ newName: vmNameSchema }))
    .mutation(async ({ ctx, input }) => {
      const result = await cloneVm(ctx.db, ctx.user, input, input.newName);
      ctx.audit.target = result.context;
      return { uuid: result.uuid, name: result.name };
    }),

  importXml: procedure("vm.create")
    .input(z.object({ hostId: hostIdSchema, xml: z.string().min(1).max(MAX_IMPORT_XML_BYTES) }))
    .mutation(async ({ ctx, input }) => {
      // Imported XML may name any of the host's volumes, files and networks.
      assertCoversHost(ctx.user, input.hostId);
      const result = await importXml(ctx.db, input.hostId, input.xml);
      ctx.audit.target = result.context;
      return { uuid: result.uuid, name: result.name };
    }),

  addAgentChannels: procedure("vm.edit")
    .input(vmRefSchema)
    .mutation(async ({ ctx, input }) => {
      const result = await addAgentChannels(ctx.db, ctx.user, input);
      ctx.audit.target = result.context;
      return { added: result.added };
    }),
});

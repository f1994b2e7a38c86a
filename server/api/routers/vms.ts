import { z } from "zod";
import { hostProcedure, procedure, router, vmProcedure } from "../trpc";
import { hostIdSchema, nameSchema, vmRefSchema } from "@/server/identifiers";
import { roleHas } from "@/server/auth/permissions";
import { ServiceError } from "@/server/errors";
import { BATCH_ACTIONS, BATCH_PERMISSION, MAX_BATCH_VMS, runBatch } from "@/server/domains/batch";
import { snapshotNameSchema } from "@/server/snapshots/schemas";
import { auditTargets } from "@/server/audit/targets";
import { POWER_ACTIONS } from "@/server/domains/power";
import { MAX_TAGS, TAG_PATTERN } from "@/server/domains/tags";
import { MAX_IMPORT_XML_BYTES } from "@/server/domains/import";
import { createVm, createVmSchema, readProcessorOptions } from "@/server/domains/create";
import { cloneVm } from "@/server/domains/clone";
import { taskRunner } from "@/server/tasks/runner";
import { uuidToString } from "@/server/libvirt";
import { importXml } from "@/server/domains/importer";
import { addAgentChannels, deleteVm, exportXml, getVm, listVms, powerAction, renameVm, setAutostart, setDescription, setTags } from "@/server/domains/service";
import { changeResources } from "@/server/domains/resources";
import { readMemoryHotplug, setMemoryHotplug } from "@/server/domains/memory-hotplug";
import { onlineHotplugged } from "@/server/guest/hotplug";
import { changeCpu } from "@/server/domains/cpu-change";
import { vmThumbnail } from "@/server/domains/screenshot";
import { cpuSchema } from "@/server/domains/processor";

const MAX_VCPUS = 256;
const MAX_MEMORY_MIB = 4 * 1024 * 1024;

const tagsSchema = z.array(z.string().regex(TAG_PATTERN, "tags are 1–32 letters, digits, . _ -")).max(MAX_TAGS);

/** VMs: `vmProcedure` resolves the VM (and the user's grants) once; each procedure is one service call. */
export const vmsRouter = router({
  /** Every host's VMs (or one host's), each host listed on its own so an unreachable one does not fail the rest. */
  list: procedure("vm.read")
    .input(z.object({ hostId: hostIdSchema.optional() }).default({}))
    .query(({ ctx, input }) => listVms(ctx.db, ctx.user, input.hostId)),

  get: vmProcedure("vm.read").query(({ ctx }) => getVm(ctx.vm)),

  /** The running VM's screen, at most THUMBNAIL_MAX_AGE_MS old; seeing the screen is the console's permission. */
  thumbnail: vmProcedure("vm.console").query(({ ctx }) => vmThumbnail(ctx.vm)),

  power: vmProcedure("vm.power")
    .input(z.object({ action: z.enum(POWER_ACTIONS) }))
    .mutation(({ ctx, input }) => powerAction(ctx.vm, input.action)),

  /**
   * One action on up to MAX_BATCH_VMS VMs, each resolved with the caller's grants and acted on on its
   * own: the answer has one result per VM, and the audit log one row per VM. Declared with vm.power,
   * which every action but snapshot needs; a snapshot needs vm.snapshot, checked here.
   */
  batch: procedure("vm.power")
    .input(
      z.object({
        vms: z.array(vmRefSchema).min(1).max(MAX_BATCH_VMS),
        action: z.enum(BATCH_ACTIONS),
        snapshotName: snapshotNameSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const permission = BATCH_PERMISSION[input.action];
      if (!roleHas(ctx.user.role, permission)) {
        throw new ServiceError(`Your role (${ctx.user.role}) may not do this: it needs ${permission}.`, "forbidden");
      }
      const results = await runBatch(ctx.db, ctx.user, input);
      ctx.audit.items = results.map((r) => ({
        target: r.target,
        input: { hostId: r.hostId, uuid: r.uuid, action: input.action, snapshotName: r.snapshot ?? undefined },
        result: r.ok ? "ok" : r.kind === "invalid" ? "invalid" : "error",
        error: r.error,
      }));
      return results.map(({ target: _target, ...result }) => result);
    }),

  delete: vmProcedure("vm.delete")
    .input(z.object({ confirmName: z.string().max(64), deleteStorage: z.boolean().default(false) }))
    .mutation(({ ctx, input }) => deleteVm(ctx.vm, input)),

  setAutostart: vmProcedure("vm.edit")
    .input(z.object({ enabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await setAutostart(ctx.vm, input.enabled);
      return { ok: true as const };
    }),

  rename: vmProcedure("vm.edit")
    .input(z.object({ newName: nameSchema }))
    .mutation(async ({ ctx, input }) => {
      await renameVm(ctx.vm, input.newName);
      return { ok: true as const };
    }),

  /**
   * vCPUs and memory, current and maximum; a maximum left out is the current value (the VM's old
   * behaviour: all of it in use). The answer says, per figure, whether it applied now or at next boot;
   * with memory hot-plug, the module plugged into the running VM (whole 128 MiB blocks).
   */
  setResources: vmProcedure("vm.edit")
    .input(
      z
        .object({
          vcpus: z.number().int().min(1).max(MAX_VCPUS),
          maxVcpus: z.number().int().min(1).max(MAX_VCPUS).optional(),
          memoryMiB: z.number().int().min(64).max(MAX_MEMORY_MIB),
          maxMemoryMiB: z.number().int().min(64).max(MAX_MEMORY_MIB).optional(),
        })
        .refine((r) => r.vcpus <= (r.maxVcpus ?? r.vcpus), { path: ["vcpus"], message: "no more vCPUs than the maximum" })
        .refine((r) => r.memoryMiB <= (r.maxMemoryMiB ?? r.memoryMiB), { path: ["memoryMiB"], message: "no more memory than the maximum" }),
    )
    .mutation(async ({ ctx, input }) => {
      const result = await changeResources(ctx.vm, {
        vcpus: input.vcpus,
        maxVcpus: input.maxVcpus ?? input.vcpus,
        memoryKiB: input.memoryMiB * 1024,
        maxMemoryKiB: (input.maxMemoryMiB ?? input.memoryMiB) * 1024,
      });
      // vCPUs and memory plugged into the running guest come up offline in many distributions: our agent onlines them.
      const vcpus = result.changes.find((c) => c.what === "vcpus" && c.applies === "nowAndNextBoot" && c.to > c.from);
      const memory = result.memoryAdded ? result.changes.find((c) => c.what === "maxMemoryKiB") : undefined;
      if (!vcpus && !memory) return result;
      return { ...result, guest: await onlineHotplugged(ctx.vm, { ...(vcpus ? { vcpus: vcpus.to } : {}), ...(memory ? { memoryKiB: memory.to } : {}) }) };
    }),

  /** Whether the VM takes more memory while running: in its saved definition (next boot) and in what it runs with. */
  memoryHotplug: vmProcedure("vm.read").query(({ ctx }) => readMemoryHotplug(ctx.vm)),

  /** Memory hot-plug on or off; QEMU reserves the slots when it starts, so it applies at the next boot. */
  setMemoryHotplug: vmProcedure("vm.edit")
    .input(z.object({ enabled: z.boolean() }))
    .mutation(({ ctx, input }) => setMemoryHotplug(ctx.vm, input.enabled)),

  setTags: vmProcedure("vm.edit")
    .input(z.object({ tags: tagsSchema }))
    .mutation(async ({ ctx, input }) => {
      await setTags(ctx.vm, [...new Set(input.tags)]);
      return { ok: true as const };
    }),

  /** The processor model or mode; QEMU cannot change a running CPU, so it applies at the next boot. */
  setCpu: vmProcedure("vm.edit")
    .input(z.object({ cpu: cpuSchema }))
    .mutation(({ ctx, input }) => changeCpu(ctx.vm, input.cpu)),

  setDescription: vmProcedure("vm.edit")
    .input(
      z.object({
        // libvirt refuses a title with a line break; the description may have many lines.
        title: z
          .string()
          .trim()
          .max(200)
          .regex(/^[^\r\n]*$/, "the title is one line"),
        description: z.string().max(4000),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await setDescription(ctx.vm, input);
      return { ok: true as const };
    }),

  exportXml: vmProcedure("vm.read").query(({ ctx }) => exportXml(ctx.vm)),

  /** The accelerators and CPUs the host offers a new VM, with the defaults the create form preselects. */
  processorOptions: hostProcedure("vm.create").query(({ ctx }) => readProcessorOptions(ctx.host)),

  /** A new VM takes volumes from the host's pools and joins its networks: a host-level change. */
  create: hostProcedure("vm.create")
    .input(createVmSchema)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.vm(ctx.host.id, input.name);
      const result = await createVm(ctx.host, input);
      return { uuid: result.uuid, name: result.name };
    }),

  /** The audit row names the source VM; the copy is named in the answer. */
  clone: vmProcedure("vm.create")
    .input(z.object({ newName: nameSchema }))
    .mutation(async ({ ctx, input }) => {
      const { id, done } = taskRunner(ctx.db).run(
        {
          kind: "vm.clone",
          target: { hostId: ctx.vm.hostId, kind: "vm", name: ctx.vm.name, uuid: uuidToString(ctx.vm.dom.uuid) },
          user: ctx.user,
          detail: input.newName,
          cancellable: true,
        },
        (task) => cloneVm(ctx.vm, input.newName, task),
        (clone) => ({ uuid: clone.uuid, name: clone.name }),
      );
      const result = await done;
      return { uuid: result.uuid, name: result.name, taskId: id };
    }),

  /** Imported XML may name any of the host's volumes, files and networks: a host-level change. */
  importXml: hostProcedure("vm.create")
    .input(z.object({ xml: z.string().min(1).max(MAX_IMPORT_XML_BYTES) }))
    .mutation(async ({ ctx, input }) => {
      const result = await importXml(ctx.host, input.xml);
      ctx.audit.target = result.context;
      return { uuid: result.uuid, name: result.name };
    }),

  addAgentChannels: vmProcedure("vm.edit").mutation(({ ctx }) => addAgentChannels(ctx.vm)),
});

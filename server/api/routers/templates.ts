import { z } from "zod";
import { hostIdSchema } from "@/server/identifiers";
import { procedure, router, vmProcedure } from "../trpc";
import { auditTargets } from "@/server/audit/targets";
import { assertCoversHost } from "@/server/hosts/scope";
import { resolveHost } from "@/server/hosts/connection";
import { createTemplateInput, deployTemplateInput, templateIdSchema } from "@/server/templates/contract";
import { createTemplate, deleteTemplate, deployTemplate, listTemplates, templateDetail, visibleTemplate } from "@/server/templates/service";

/**
 * Templates (server/templates/README.md): reading needs template.read (every role, narrowed to the
 * hosts the user's grants cover); making and deleting them template.manage (admins); deploying one
 * is making a VM, so it needs vm.create and grants covering the template's host.
 */
export const templatesRouter = router({
  list: procedure("template.read")
    .input(z.object({ hostId: hostIdSchema.optional() }).default({}))
    .query(({ ctx, input }) => listTemplates(ctx.db, ctx.user, input.hostId)),

  get: procedure("template.read")
    .input(z.object({ id: templateIdSchema }))
    .query(async ({ ctx, input }) => templateDetail(ctx.db, visibleTemplate(ctx.db, ctx.user, input.id))),

  /** Starts copying the VM's disks (a task) and answers at once. */
  create: vmProcedure("template.manage")
    .input(createTemplateInput)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `template "${input.name}"`);
      const started = await createTemplate(ctx.db, ctx.vm, input, ctx.user);
      started.done.catch(() => undefined);
      return { templateId: started.templateId, taskId: started.taskId };
    }),

  deploy: procedure("vm.create")
    .input(deployTemplateInput)
    .mutation(async ({ ctx, input }) => {
      // Until the template is found its host is unknown: a refusal is audited against the template's id.
      ctx.audit.target = auditTargets.templateById(input.id);
      const template = visibleTemplate(ctx.db, ctx.user, input.id);
      ctx.audit.target = auditTargets.vm(template.hostId, input.name);
      assertCoversHost(ctx.user, template.hostId);
      return deployTemplate(ctx.db, resolveHost(ctx.db, template.hostId), template, input, ctx.user);
    }),

  delete: procedure("template.manage")
    .input(z.object({ id: templateIdSchema }))
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.templateById(input.id);
      const template = visibleTemplate(ctx.db, ctx.user, input.id);
      ctx.audit.target = auditTargets.template(template.hostId, template.name);
      assertCoversHost(ctx.user, template.hostId);
      await deleteTemplate(ctx.db, resolveHost(ctx.db, template.hostId), template);
      return { ok: true };
    }),
});

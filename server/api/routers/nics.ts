import { z } from "zod";
import { router, vmProcedure } from "../trpc";
import { nameSchema } from "@/server/identifiers";
import { roleHas } from "@/server/auth/permissions";
import { auditTargets } from "@/server/audit/targets";
import { bridgeNameSchema, macSchema, NIC_MODELS } from "@/server/domains/nic-schemas";
import { addNic, listNics, nicSources, removeNic, setNicLink, setNicSource } from "@/server/domains/nics";

const sourceSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("network"), name: nameSchema }),
  z.object({ kind: z.literal("bridge"), name: bridgeNameSchema }),
]);

const nicTarget = (vmContext: string, mac: string) => auditTargets.inVm(vmContext, `NIC ${mac}`);

/** A VM's network cards (the VM page's Network tab): each change goes live and to the definition as far as the VM's state allows. */
export const nicsRouter = router({
  /** The guest's addresses need `guest.read` too; without it the list has none. */
  list: vmProcedure("vm.read").query(({ ctx }) => listNics(ctx.vm, { addresses: roleHas(ctx.user.role, "guest.read") })),

  sources: vmProcedure("vm.edit").query(({ ctx }) => nicSources(ctx.vm, ctx.user)),

  add: vmProcedure("vm.edit")
    .input(z.object({ source: sourceSchema, model: z.enum(NIC_MODELS).default("virtio"), mac: macSchema.optional() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.inVm(ctx.vm.context, `NIC on ${input.source.kind} "${input.source.name}"`);
      return addNic(ctx.vm, input);
    }),

  remove: vmProcedure("vm.edit")
    .input(z.object({ mac: macSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = nicTarget(ctx.vm.context, input.mac);
      return removeNic(ctx.vm, input.mac);
    }),

  setSource: vmProcedure("vm.edit")
    .input(z.object({ mac: macSchema, source: sourceSchema }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = nicTarget(ctx.vm.context, input.mac);
      return setNicSource(ctx.vm, input.mac, input.source);
    }),

  setLink: vmProcedure("vm.edit")
    .input(z.object({ mac: macSchema, state: z.enum(["up", "down"]) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = nicTarget(ctx.vm.context, input.mac);
      return setNicLink(ctx.vm, input.mac, input.state);
    }),
});

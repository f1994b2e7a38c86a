import { hostProcedure, procedure, router } from "../trpc";
import { readHostInfo } from "@/server/hosts/info";
import { addHostInput, removeHostInput, scanHostKeyInput, updateHostInput } from "@/server/hosts/contract";
import { addHost, hostList, managerSshKey, removeHost, scanHostKey, updateHost } from "@/server/hosts/manage";
import { auditTargets } from "@/server/audit/targets";

export const hostsRouter = router({
  /** Host-less: every host with its connection state (disabled ones too); `uri` is the address as typed. */
  list: procedure("host.read").query(({ ctx }) => hostList(ctx.db, ctx.user)),

  info: hostProcedure("host.read").query(({ ctx }) => readHostInfo(ctx.host, ctx.user)),

  /** The public half of the manager's ssh key, for the new host's authorized_keys (made on first use). */
  sshPublicKey: procedure("host.manage").query(() => managerSshKey()),

  /** A query: nothing is stored until `add` sends the key line back. */
  scanHostKey: procedure("host.manage")
    .input(scanHostKeyInput)
    .query(({ input }) => scanHostKey(input.address)),

  add: procedure("host.manage")
    .input(addHostInput)
    .mutation(async ({ ctx, input }) => {
      // Until it has an id, the host is named as typed (the address is in the row's input).
      ctx.audit.target = auditTargets.host(input.name);
      const added = await addHost(ctx.db, input);
      ctx.audit.target = auditTargets.host(added.id);
      return added;
    }),

  update: procedure("host.manage")
    .input(updateHostInput)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.host(input.hostId);
      await updateHost(ctx.db, input.hostId, { name: input.name, enabled: input.enabled });
    }),

  remove: procedure("host.manage")
    .input(removeHostInput)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = auditTargets.host(input.hostId);
      await removeHost(ctx.db, input.hostId, input.confirmName);
    }),
});

import { z } from "zod";
import { hostProcedure, router } from "../trpc";
import { auditTargets } from "../../audit/targets";
import { createNetwork, deleteNetwork, getNetwork, listDhcpLeases, listNetworks, setNetworkAutostart, startNetwork, stopNetwork } from "../../networks/service";
import { networkNameSchema, networkSpecSchema } from "../../networks/schemas";

const networkRef = z.object({ network: networkNameSchema });

/** Virtual networks of a host: shown and changed only for users whose grants cover the host (see hostProcedure). */
export const networksRouter = router({
  list: hostProcedure("network.read").query(({ ctx }) => listNetworks(ctx.host, ctx.user)),

  get: hostProcedure("network.read")
    .input(networkRef)
    .query(({ ctx, input }) => getNetwork(ctx.host, ctx.user, input.network)),

  dhcpLeases: hostProcedure("network.read")
    .input(networkRef)
    .query(({ ctx, input }) => listDhcpLeases(ctx.host, ctx.user, input.network)),

  create: hostProcedure("network.manage")
    .input(z.object({ spec: networkSpecSchema, start: z.boolean().default(true), autostart: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.spec.name);
      return createNetwork(ctx.host, input.spec, { start: input.start, autostart: input.autostart });
    }),

  start: hostProcedure("network.manage")
    .input(networkRef)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.network);
      return startNetwork(ctx.host, input.network);
    }),

  stop: hostProcedure("network.manage")
    .input(networkRef)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.network);
      return stopNetwork(ctx.host, input.network);
    }),

  setAutostart: hostProcedure("network.manage")
    .input(networkRef.extend({ autostart: z.boolean() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.network);
      return setNetworkAutostart(ctx.host, input.network, input.autostart);
    }),

  delete: hostProcedure("network.manage")
    .input(networkRef)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.network);
      return deleteNetwork(ctx.host, input.network);
    }),
});

import { z } from "zod";
import { hostProcedure, router } from "../trpc";
import type { Permission } from "@/server/auth/permissions";
import { auditTargets } from "@/server/audit/targets";
import {
  createNetwork,
  deleteNetwork,
  getNetwork,
  listDhcpLeases,
  listNetworks,
  setNetworkAutostart,
  startNetwork,
  stopNetwork,
} from "@/server/networks/service";
import { networkNameSchema, networkSpecSchema } from "@/server/networks/schemas";

/** A procedure on one network of the host: the audit row names the network. */
function networkProcedure(permission: Permission) {
  return hostProcedure(permission)
    .input(z.object({ network: networkNameSchema }))
    .use(({ ctx, input, next }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.network);
      return next();
    });
}

/** Virtual networks of a host: shown and changed only for users whose grants cover the host (see hostProcedure). */
export const networksRouter = router({
  list: hostProcedure("network.read").query(({ ctx }) => listNetworks(ctx.host, ctx.user)),

  get: networkProcedure("network.read").query(({ ctx, input }) => getNetwork(ctx.host, ctx.user, input.network)),

  dhcpLeases: networkProcedure("network.read").query(({ ctx, input }) => listDhcpLeases(ctx.host, ctx.user, input.network)),

  create: hostProcedure("network.manage")
    .input(z.object({ spec: networkSpecSchema, start: z.boolean().default(true), autostart: z.boolean().default(true) }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = auditTargets.network(ctx.host.id, input.spec.name);
      return createNetwork(ctx.host, input.spec, { start: input.start, autostart: input.autostart });
    }),

  start: networkProcedure("network.manage").mutation(({ ctx, input }) => startNetwork(ctx.host, input.network)),

  stop: networkProcedure("network.manage").mutation(({ ctx, input }) => stopNetwork(ctx.host, input.network)),

  setAutostart: networkProcedure("network.manage")
    .input(z.object({ autostart: z.boolean() }))
    .mutation(({ ctx, input }) => setNetworkAutostart(ctx.host, input.network, input.autostart)),

  delete: networkProcedure("network.manage").mutation(({ ctx, input }) => deleteNetwork(ctx.host, input.network)),
});

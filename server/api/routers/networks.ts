import { z } from "zod";
import { procedure, router } from "../trpc";
import {
  createNetwork,
  deleteNetwork,
  getNetwork,
  listDhcpLeases,
  listNetworks,
  networkContext,
  setNetworkAutostart,
  startNetwork,
  stopNetwork,
} from "../../networks/service";
import { hostIdSchema, networkRefSchema, networkSpecSchema } from "../../networks/schemas";
import { assertCoversHost } from "../../hosts/scope";

/** Virtual networks of a host: shown and changed only for users whose grants cover the host. */
export const networksRouter = router({
  list: procedure("network.read")
    .input(z.object({ hostId: hostIdSchema }))
    .query(({ ctx, input }) => listNetworks(ctx.db, ctx.user, input.hostId)),

  get: procedure("network.read")
    .input(networkRefSchema)
    .query(({ ctx, input }) => getNetwork(ctx.db, ctx.user, input.hostId, input.network)),

  dhcpLeases: procedure("network.read")
    .input(networkRefSchema)
    .query(({ ctx, input }) => listDhcpLeases(ctx.db, ctx.user, input.hostId, input.network)),

  create: procedure("network.manage")
    .input(
      z.object({
        hostId: hostIdSchema,
        spec: networkSpecSchema,
        start: z.boolean().default(true),
        autostart: z.boolean().default(true),
      }),
    )
    .mutation(({ ctx, input }) => {
      ctx.audit.target = networkContext(input.hostId, input.spec.name);
      assertCoversHost(ctx.user, input.hostId);
      return createNetwork(ctx.db, input.hostId, input.spec, { start: input.start, autostart: input.autostart });
    }),

  start: procedure("network.manage")
    .input(networkRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = networkContext(input.hostId, input.network);
      assertCoversHost(ctx.user, input.hostId);
      return startNetwork(ctx.db, input.hostId, input.network);
    }),

  stop: procedure("network.manage")
    .input(networkRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = networkContext(input.hostId, input.network);
      assertCoversHost(ctx.user, input.hostId);
      return stopNetwork(ctx.db, input.hostId, input.network);
    }),

  setAutostart: procedure("network.manage")
    .input(networkRefSchema.extend({ autostart: z.boolean() }))
    .mutation(({ ctx, input }) => {
      ctx.audit.target = networkContext(input.hostId, input.network);
      assertCoversHost(ctx.user, input.hostId);
      return setNetworkAutostart(ctx.db, input.hostId, input.network, input.autostart);
    }),

  delete: procedure("network.manage")
    .input(networkRefSchema)
    .mutation(({ ctx, input }) => {
      ctx.audit.target = networkContext(input.hostId, input.network);
      assertCoversHost(ctx.user, input.hostId);
      return deleteNetwork(ctx.db, input.hostId, input.network);
    }),
});

import { z } from "zod";
import { procedure, router } from "../trpc";
import { listHosts } from "../../hosts/service";
import { readHostInfo } from "../../hosts/info";

export const hostIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "a host id: lowercase letters, digits and dashes");

export const hostsRouter = router({
  list: procedure("host.read").query(({ ctx }) => listHosts(ctx.db).map(({ id, name, uri }) => ({ id, name, uri }))),

  info: procedure("host.read")
    .input(z.object({ hostId: hostIdSchema }))
    .query(({ ctx, input }) => readHostInfo(ctx.db, ctx.user, input.hostId)),
});

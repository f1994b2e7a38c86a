import { hostProcedure, procedure, router } from "../trpc";
import { listHosts } from "@/server/hosts/service";
import { readHostInfo } from "@/server/hosts/info";

export const hostsRouter = router({
  /** Host-less: the list of hosts itself (ids, names and URIs). */
  list: procedure("host.read").query(({ ctx }) => listHosts(ctx.db).map(({ id, name, uri }) => ({ id, name, uri }))),

  info: hostProcedure("host.read").query(({ ctx }) => readHostInfo(ctx.host, ctx.user)),
});

import { createCallerFactory, router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { hostsRouter } from "./routers/hosts";
import { vmsRouter } from "./routers/vms";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  hosts: hostsRouter,
  vms: vmsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

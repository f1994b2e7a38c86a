import { createCallerFactory, router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { hostsRouter } from "./routers/hosts";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  hosts: hostsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

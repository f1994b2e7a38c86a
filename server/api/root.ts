import { createCallerFactory, router } from "./trpc";
import { authRouter } from "./routers/auth";
import { usersRouter } from "./routers/users";
import { auditRouter } from "./routers/audit";
import { hostsRouter } from "./routers/hosts";
import { vmsRouter } from "./routers/vms";
import { storageRouter } from "./routers/storage";
import { networksRouter } from "./routers/networks";
import { snapshotsRouter } from "./routers/snapshots";
import { guestRouter } from "./routers/guest";
import { nicsRouter } from "./routers/nics";
import { consolesRouter } from "./routers/consoles";
import { metricsRouter } from "./routers/metrics";
import { alertsRouter } from "./routers/alerts";
import { tasksRouter } from "./routers/tasks";
import { metricsTokensRouter } from "./routers/metrics-tokens";
import { dashboardRouter } from "./routers/dashboard";
import { insightsRouter } from "./routers/insights";
import { notificationsRouter } from "./routers/notifications";
import { backupsRouter } from "./routers/backups";
import { templatesRouter } from "./routers/templates";
import { schedulesRouter } from "./routers/schedules";
import { migrationRouter } from "./routers/migration";

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  hosts: hostsRouter,
  vms: vmsRouter,
  storage: storageRouter,
  networks: networksRouter,
  snapshots: snapshotsRouter,
  guest: guestRouter,
  nics: nicsRouter,
  consoles: consolesRouter,
  metrics: metricsRouter,
  alerts: alertsRouter,
  tasks: tasksRouter,
  metricsTokens: metricsTokensRouter,
  dashboard: dashboardRouter,
  insights: insightsRouter,
  notifications: notificationsRouter,
  backups: backupsRouter,
  templates: templatesRouter,
  schedules: schedulesRouter,
  migration: migrationRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);

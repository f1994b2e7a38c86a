import { pageUser } from "@/app/_components/page-session";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { AppShell, type NavItem } from "../_components/app-shell";
import { TrpcProvider } from "../_components/trpc";
import { LiveEventsProvider } from "../_components/live-events";
import { ToastProvider } from "../_components/toasts";
import { PowerPendingProvider } from "../_components/power-pending";
import { AlertCountProvider } from "../_components/alert-count";
import { TaskTray } from "../_components/task-tray";
import { serverApi } from "@/app/_components/page-session";
import { countsInBadge } from "./alerts/alert-words";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const user = await pageUser();
  if (!user) redirect("/login");
  const t = await getTranslations("common.nav");
  const nav: NavItem[] = [
    { href: "/", label: t("dashboard"), icon: "home" },
    ...(roleHas(user.role, "vm.read") ? [{ href: "/vms", label: t("vms"), icon: "server" } as const] : []),
    // Third, so a phone's bottom bar shows it (and its badge) rather than folding it under "More".
    ...(roleHas(user.role, "alert.read") ? [{ href: "/alerts", label: t("alerts"), icon: "bell", badge: "alerts" } as const] : []),
    ...(roleHas(user.role, "storage.read") ? [{ href: "/storage", label: t("storage"), icon: "database" } as const] : []),
    ...(roleHas(user.role, "network.read") ? [{ href: "/networks", label: t("networks"), icon: "network" } as const] : []),
    ...(roleHas(user.role, "host.read") ? [{ href: "/hosts", label: t("hosts"), icon: "hosts" } as const] : []),
    // Read daily, not watched live: on a phone it sits under "More".
    ...(roleHas(user.role, "vm.read") ? [{ href: "/insights", label: t("insights"), icon: "bulb" } as const] : []),
    ...(roleHas(user.role, "task.read") ? [{ href: "/tasks", label: t("tasks"), icon: "activity" } as const] : []),
    ...(roleHas(user.role, "backup.read") ? [{ href: "/backups", label: t("backups"), icon: "database" } as const] : []),
    ...(roleHas(user.role, "schedule.read") ? [{ href: "/schedules", label: t("schedules"), icon: "clock" } as const] : []),
    ...(roleHas(user.role, "template.read") ? [{ href: "/templates", label: t("templates"), icon: "layers" } as const] : []),
    ...(roleHas(user.role, "user.manage") ? [{ href: "/users", label: t("users"), icon: "users" } as const] : []),
    ...(roleHas(user.role, "audit.read") ? [{ href: "/audit", label: t("auditLog"), icon: "list" } as const] : []),
    { href: "/settings", label: t("settings"), icon: "cog" },
  ];
  const alertCount = roleHas(user.role, "alert.read")
    ? (await (await serverApi()).alerts.list({ state: "firing", limit: 500 })).filter(countsInBadge).length
    : null;
  const runningTasks = roleHas(user.role, "task.read") ? await (await serverApi()).tasks.list({ state: "running", limit: 20 }) : null;
  return (
    <TrpcProvider>
      <LiveEventsProvider>
        <ToastProvider>
          <PowerPendingProvider>
            <AlertCountProvider initial={alertCount}>
              <AppShell nav={nav} username={user.username} role={user.role} tray={runningTasks && <TaskTray initial={runningTasks} />}>
                {children}
              </AppShell>
            </AlertCountProvider>
          </PowerPendingProvider>
        </ToastProvider>
      </LiveEventsProvider>
    </TrpcProvider>
  );
}

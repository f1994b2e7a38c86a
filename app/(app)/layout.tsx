import { pageUser } from "@/app/_components/page-session";
import { redirect } from "next/navigation";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { AppShell, type NavItem } from "../_components/app-shell";
import { TrpcProvider } from "../_components/trpc";
import { LiveEventsProvider } from "../_components/live-events";
import { ToastProvider } from "../_components/toasts";
import { PowerPendingProvider } from "../_components/power-pending";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const user = await pageUser();
  if (!user) redirect("/login");
  const t = await getTranslations("common.nav");
  const nav: NavItem[] = [
    { href: "/", label: t("dashboard"), icon: "home" },
    ...(roleHas(user.role, "vm.read") ? [{ href: "/vms", label: t("vms"), icon: "server" } as const] : []),
    ...(roleHas(user.role, "storage.read") ? [{ href: "/storage", label: t("storage"), icon: "database" } as const] : []),
    ...(roleHas(user.role, "network.read") ? [{ href: "/networks", label: t("networks"), icon: "network" } as const] : []),
    ...(roleHas(user.role, "user.manage") ? [{ href: "/users", label: t("users"), icon: "users" } as const] : []),
    ...(roleHas(user.role, "audit.read") ? [{ href: "/audit", label: t("auditLog"), icon: "list" } as const] : []),
    { href: "/settings", label: t("settings"), icon: "cog" },
  ];
  return (
    <TrpcProvider>
      <LiveEventsProvider>
        <ToastProvider>
          <PowerPendingProvider>
            <AppShell nav={nav} username={user.username} role={user.role}>
              {children}
            </AppShell>
          </PowerPendingProvider>
        </ToastProvider>
      </LiveEventsProvider>
    </TrpcProvider>
  );
}

import { pageUser } from "@/app/_components/page-session";
import { redirect } from "next/navigation";
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
  const nav: NavItem[] = [
    { href: "/", label: "Dashboard", icon: "home" },
    ...(roleHas(user.role, "vm.read") ? [{ href: "/vms", label: "VMs", icon: "server" } as const] : []),
    ...(roleHas(user.role, "storage.read") ? [{ href: "/storage", label: "Storage", icon: "database" } as const] : []),
    ...(roleHas(user.role, "network.read") ? [{ href: "/networks", label: "Networks", icon: "network" } as const] : []),
    ...(roleHas(user.role, "user.manage") ? [{ href: "/users", label: "Users", icon: "users" } as const] : []),
    ...(roleHas(user.role, "audit.read") ? [{ href: "/audit", label: "Audit log", icon: "list" } as const] : []),
    { href: "/settings", label: "Settings", icon: "cog" },
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

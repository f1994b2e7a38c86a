"use client";

import { usePathname, useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { useToasts } from "@/app/_components/toasts";

/** The page's address with the VM on `toHostId`, on the same tab: `/vms/a/<uuid>/console` → `/vms/b/<uuid>/console`. */
export function movedPath(pathname: string, vm: { hostId: string; uuid: string }, toHostId: string): string {
  const from = `/vms/${encodeURIComponent(vm.hostId)}/${vm.uuid}`;
  const to = `/vms/${encodeURIComponent(toHostId)}/${vm.uuid}`;
  return pathname.startsWith(from) ? `${to}${pathname.slice(from.length)}` : to;
}

/**
 * The page follows its VM to another host: once the server says it moved (`domain.migrated`), the
 * address becomes the destination's (replaced, so Back does not lead to a VM that is gone) and a
 * notice says where it went.
 */
export function useFollowMigration(vm: { hostId: string; uuid: string; name: string }) {
  const t = useTranslations("vmMigrate");
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  useLiveEvent("domain.migrated", (event) => {
    if (event.hostId !== vm.hostId || event.uuid !== vm.uuid) return;
    const hosts = queryClient.getQueryData(trpc.hosts.list.queryKey());
    const dest = hosts?.find((h) => h.id === event.toHostId)?.name ?? event.toHostId;
    toasts.success(`migrated ${vm.uuid}`, t("moved", { name: event.name, dest }));
    router.replace(movedPath(pathname, vm, event.toHostId));
  });
}

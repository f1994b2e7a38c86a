"use client";

import { useRef } from "react";
import { usePathname, useRouter } from "next/navigation";
import { useTranslations } from "next-intl";
import { useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { useToasts } from "@/app/_components/toasts";
import type { TaskSummary } from "@/server/tasks/store";

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
  const followed = useRef(false);
  const follow = (toHostId: string) => {
    if (followed.current) return;
    followed.current = true;
    const hosts = queryClient.getQueryData(trpc.hosts.list.queryKey());
    const dest = hosts?.find((h) => h.id === toHostId)?.name ?? toHostId;
    toasts.success(`migrated ${vm.uuid}`, t("moved", { name: vm.name, dest }));
    router.replace(movedPath(pathname, vm, toHostId));
  };
  const mine = (event: { hostId: string; uuid: string | null }) => event.hostId === vm.hostId && event.uuid === vm.uuid;
  useLiveEvent("domain.migrated", (event) => mine(event) && follow(event.toHostId));
  // The finished task says it too: whichever of the two events the tab hears first (a stream that
  // reconnected in between misses what was sent meanwhile), the page follows once and leaves.
  useLiveEvent("task", (event) => {
    const dest = migratedTo(event.task);
    if (mine(event) && dest) follow(dest);
  });
}

/** Where a finished migration task moved its VM; null for any other task or state. */
export function migratedTo(task: Pick<TaskSummary, "kind" | "state" | "result">): string | null {
  const dest = task.result?.destHostId;
  return task.kind === "vm.migrate" && task.state === "succeeded" && typeof dest === "string" ? dest : null;
}

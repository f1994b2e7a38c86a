"use client";

import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";

export type Vm = inferRouterOutputs<AppRouter>["vms"]["get"];

/**
 * The VM of this page, as the tab bar's header and every tab see it: one `vms.get` cache entry,
 * kept current by the header's live events and by what mutations answer (`useVmCache`), so a tab
 * never shows a state older than the header above it. Each tab is rendered on the server when it
 * is opened, with the VM as it is then: that replaces the cached one, which may predate a change
 * no event announces (a file gone from under a disk).
 */
export function useVm(initial: Vm): Vm {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { data } = useQuery({ ...trpc.vms.get.queryOptions({ hostId: initial.hostId, uuid: initial.uuid }), initialData: initial });
  useEffect(() => {
    // Only a new server render (a new `initial`) writes: a key rebuilt on every render would loop.
    queryClient.setQueryData(trpc.vms.get.queryKey({ hostId: initial.hostId, uuid: initial.uuid }), initial);
  }, [queryClient, trpc, initial]);
  return data;
}

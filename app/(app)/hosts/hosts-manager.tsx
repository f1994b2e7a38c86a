"use client";

import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { HostListItem } from "@/server/hosts/contract";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { FormStatus } from "@/app/_components/form-status";
import { HostCard } from "./host-card";

/**
 * Every host with its connection state. The server pushes each change of a connection
 * (`host.connection`) and of a host's row (`host.changed`: added, renamed, disabled, removed);
 * the list is read again on either, and the host's facts on a change of its connection.
 */
export function HostsManager({ initial, canManage, canMigrate }: { initial: HostListItem[]; canManage: boolean; canMigrate: boolean }) {
  const t = useTranslations("hosts");
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), initialData: initial });
  useLiveRefetch(["host.connection", "host.changed"], (event) => [trpc.hosts.list.queryKey(), trpc.hosts.info.queryKey({ hostId: event.hostId })]);
  return (
    <section aria-label={t("list.label")} className="space-y-3">
      {hosts.error && <FormStatus error={hosts.error.message} verbatim />}
      <ul className="space-y-3">
        {hosts.data.map((host) => (
          <HostCard key={host.id} host={host} hosts={hosts.data} canManage={canManage} canMigrate={canMigrate} />
        ))}
      </ul>
    </section>
  );
}

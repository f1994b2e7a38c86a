"use client";

import { useTranslations } from "next-intl";
import { HostResourceManager, type HostResourceProps } from "@/app/_components/host-resources/host-resource-manager";
import { PoolCard, type Pool } from "./pool-card";
import { AddPoolForm } from "./add-pool-form";

/**
 * A pool defined, started, stopped, refreshed or removed (here or with virsh), or a host that
 * reconnects: its list is read again. Sizes change without an event; the 30 s poll covers them.
 */
const POOLS = { noun: "pool", refreshOn: ["pool.lifecycle", "host.connection"] } as const;

/** The storage page's lists: the shared per-host manager, given the pool's query, card and form. */
export function StorageManager(props: HostResourceProps<Pool>) {
  const t = useTranslations("storage");
  const card = (pool: Pool) => <PoolCard pool={pool} canManage={props.canManage} />;
  return (
    <HostResourceManager
      {...POOLS}
      emptyText={t("noPools")}
      {...props}
      list={(trpc, hostId) => trpc.storage.pools.queryOptions({ hostId })}
      card={card}
      AddForm={AddPoolForm}
    />
  );
}

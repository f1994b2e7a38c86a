"use client";

import { useTranslations } from "next-intl";
import { HostResourceManager, type HostResourceProps } from "@/app/_components/host-resources/host-resource-manager";
import { NetworkCard, type Network } from "./network-card";
import { AddNetworkForm } from "./add-network-form";

/** A network defined, started, stopped or removed (here or with virsh), or a host that reconnects: its list is read again. */
const NETWORKS = { noun: "network", refreshOn: ["network.lifecycle", "host.connection"] } as const;

/** The networks page's lists: the shared per-host manager, given the network's query, card and form. */
export function NetworksManager(props: HostResourceProps<Network>) {
  const t = useTranslations("networks");
  const card = (network: Network) => <NetworkCard network={network} canManage={props.canManage} />;
  return (
    <HostResourceManager
      {...NETWORKS}
      emptyText={t("emptyText")}
      {...props}
      list={(trpc, hostId) => trpc.networks.list.queryOptions({ hostId })}
      card={card}
      AddForm={AddNetworkForm}
    />
  );
}

import type { Metadata } from "next";
import { hostResourcePage } from "@/app/_components/host-resources/host-resource-page";
import { NetworksManager } from "./networks-manager";

export const metadata: Metadata = { title: "Networks" };
export const dynamic = "force-dynamic";

export default hostResourcePage({
  title: "Networks",
  read: "network.read",
  manage: "network.manage",
  load: (api, hostId) => api.networks.list({ hostId }),
  Manager: NetworksManager,
});

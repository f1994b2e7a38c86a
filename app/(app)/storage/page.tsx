import type { Metadata } from "next";
import { hostResourcePage } from "@/app/_components/host-resources/host-resource-page";
import { StorageManager } from "./storage-manager";

export const metadata: Metadata = { title: "Storage" };
export const dynamic = "force-dynamic";

export default hostResourcePage({
  title: "Storage",
  read: "storage.read",
  manage: "storage.manage",
  load: (api, hostId) => api.storage.pools({ hostId }),
  Manager: StorageManager,
});

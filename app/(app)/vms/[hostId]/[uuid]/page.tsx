import { redirect } from "next/navigation";

/** A VM's address without a tab opens its overview, so links from before the tabs keep working. */
export default async function VmPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  redirect(`/vms/${encodeURIComponent(hostId)}/${encodeURIComponent(uuid)}/overview`);
}

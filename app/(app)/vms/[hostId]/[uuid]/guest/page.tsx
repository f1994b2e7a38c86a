import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { forbidden } from "next/navigation";
import { loadVm, vmPermissions } from "../load-vm";
import { GuestTab } from "./guest-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmGuest");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function VmGuestPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  if (!can.guestRead) forbidden();
  return <GuestTab initial={vm} canExec={can.guestExec} />;
}

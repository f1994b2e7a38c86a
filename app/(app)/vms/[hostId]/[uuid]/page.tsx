import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { roleHas } from "@/server/auth/permissions";
import { pageUser, serverApi } from "@/app/_components/page-session";
import { VmDetail } from "./vm-detail";

export const metadata: Metadata = { title: "Virtual machine" };
export const dynamic = "force-dynamic";

export default async function VmPage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const user = await pageUser();
  const api = await serverApi();
  const vm = await api.vms.get({ hostId, uuid }).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  const can = (p: Parameters<typeof roleHas>[1]) => !!user && roleHas(user.role, p);
  return (
    <VmDetail
      initial={vm}
      can={{
        power: can("vm.power"),
        edit: can("vm.edit"),
        delete: can("vm.delete"),
        snapshot: can("vm.snapshot"),
        guestRead: can("guest.read"),
        guestExec: can("guest.exec"),
      }}
    />
  );
}

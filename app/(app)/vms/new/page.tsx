import type { Metadata } from "next";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { CreateVmForm } from "./create-vm-form";

export const metadata: Metadata = { title: "New virtual machine" };
export const dynamic = "force-dynamic";

export default async function NewVmPage() {
  await requirePermission("vm.create");
  const api = await serverApi();
  const hosts = await api.hosts.list();
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">New virtual machine</h1>
      <CreateVmForm hosts={hosts.map((h) => ({ id: h.id, name: h.name }))} />
    </div>
  );
}

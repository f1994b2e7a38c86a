import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { CreateVmForm } from "./create-vm-form";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmCreate");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function NewVmPage() {
  await requirePermission("vm.create");
  const api = await serverApi();
  const [hosts, t] = await Promise.all([api.hosts.list(), getTranslations("vmCreate")]);
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("title")}</h1>
      <CreateVmForm hosts={hosts.map((h) => ({ id: h.id, name: h.name }))} />
    </div>
  );
}

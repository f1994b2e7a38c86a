import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { TRPCError } from "@trpc/server";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { PoolDetail } from "./pool-detail";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("storage");
  return { title: t("poolPageTitle") };
}
export const dynamic = "force-dynamic";

export default async function PoolPage({ params }: { params: Promise<{ hostId: string; pool: string }> }) {
  const { hostId, pool: name } = await params;
  const user = await requirePermission("storage.read");
  const api = await serverApi();
  // Pool names are plain characters (letters, digits, . _ -), never percent-encoded in the URL.
  const ref = { hostId, pool: name };
  const pool = await api.storage.pool(ref).catch((err: unknown) => {
    if (err instanceof TRPCError && (err.code === "NOT_FOUND" || err.code === "BAD_REQUEST")) notFound();
    throw err;
  });
  // An inactive pool has no volume list; a failing listing is shown, not thrown.
  const volumes = pool.active
    ? await api.storage.volumes(ref).then(
        (list) => ({ list, error: null }),
        (err: unknown) => ({ list: null, error: err instanceof TRPCError ? err.message : String(err) }),
      )
    : { list: null, error: null };
  return <PoolDetail initialPool={pool} initialVolumes={volumes.list} volumesError={volumes.error} canManage={roleHas(user.role, "storage.manage")} />;
}

"use client";

import { Link } from "@/app/_components/link";
import { useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { PoolCard, type Pool } from "@/app/(app)/storage/pool-card";
import { CreateVolumeForm, freeBytes, VolumeCard, type Volume } from "./volumes";
import { ImageTransfers } from "./image-transfers";

export function PoolDetail({
  initialPool,
  initialVolumes,
  volumesError,
  canManage,
}: {
  initialPool: Pool;
  initialVolumes: Volume[] | null;
  volumesError: string | null;
  canManage: boolean;
}) {
  const t = useTranslations("storage.detail");
  const trpc = useTRPC();
  const ref = { hostId: initialPool.hostId, pool: initialPool.name };
  const { data: pool } = useQuery({ ...trpc.storage.pool.queryOptions(ref), initialData: initialPool, refetchInterval: 30_000 });
  const volumes = useQuery({
    ...trpc.storage.volumes.queryOptions(ref),
    initialData: initialVolumes ?? undefined,
    enabled: pool.active,
    refetchInterval: 30_000,
  });
  const error = volumes.error?.message ?? (volumes.data ? null : volumesError);

  return (
    <div className="space-y-4">
      <Link href="/storage" className="inline-flex min-h-11 items-center text-sm text-sky-800 underline-offset-2 hover:underline dark:text-sky-300">
        {t("allStorage")}
      </Link>
      <h1 className="min-w-0 break-all text-2xl font-semibold">{t("heading", { name: pool.name })}</h1>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("onHost", { host: pool.hostId })}</p>
      <PoolCard pool={pool} canManage={canManage} detail as="section" />
      <section aria-labelledby="volumes-heading" className="space-y-3">
        <h2 id="volumes-heading" className="text-lg font-semibold">
          {t("volumes")}
        </h2>
        {!pool.active && <p className="card text-sm">{t("startToSee")}</p>}
        {pool.active && (
          <>
            {canManage && (
              <section className="card" aria-labelledby="create-volume-heading">
                <h3 id="create-volume-heading" className="mb-3 text-base font-semibold">
                  {t("createVolume")}
                </h3>
                <CreateVolumeForm pool={pool} />
              </section>
            )}
            <ImageTransfers hostId={pool.hostId} pool={pool.name} canManage={canManage} />
            <FormStatus error={error} />
            {volumes.data && volumes.data.length === 0 && <p className="card text-sm">{t("noVolumes")}</p>}
            <ul className="grid grid-cols-1 gap-3 lg:grid-cols-2">
              {volumes.data?.map((v) => (
                <VolumeCard key={v.key || v.name} volume={v} free={freeBytes(pool)} canManage={canManage} />
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}

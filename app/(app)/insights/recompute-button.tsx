"use client";

import { useRouter } from "next/navigation";
import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";

/** An admin's "Recompute now": the page is rendered again with the new insights when it is done. */
export function RecomputeButton() {
  const t = useTranslations("insights");
  const trpc = useTRPC();
  const router = useRouter();
  const recompute = useMutation(trpc.insights.recompute.mutationOptions({ onSuccess: () => router.refresh() }));
  return (
    <div className="flex flex-wrap items-center gap-2">
      <button type="button" className="btn btn-primary" disabled={recompute.isPending} onClick={() => recompute.mutate()}>
        {recompute.isPending ? t("recomputing") : t("recompute")}
      </button>
      <FormStatus
        error={recompute.error ? t("recomputeFailed", { error: recompute.error.message }) : null}
        success={recompute.data ? t("recomputed", { count: recompute.data.insights }) : null}
      />
    </div>
  );
}

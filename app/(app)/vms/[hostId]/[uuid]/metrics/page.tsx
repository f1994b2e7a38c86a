import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { parseRange, rangeWindow } from "@/app/_components/metric-series";
import { loadVm } from "../load-vm";
import { MetricsTab } from "./metrics-tab";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("metrics.vm");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

/** The VM's history charts; the range is in the address (`?range=6h`), its window fixed when the page is rendered. */
export default async function VmMetricsPage({
  params,
  searchParams,
}: {
  params: Promise<{ hostId: string; uuid: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ hostId, uuid }, query] = await Promise.all([params, searchParams]);
  const vm = await loadVm(hostId, uuid);
  const range = parseRange(query.range);
  return <MetricsTab hostId={vm.hostId} uuid={vm.uuid} range={range} span={rangeWindow(range, Date.now())} />;
}

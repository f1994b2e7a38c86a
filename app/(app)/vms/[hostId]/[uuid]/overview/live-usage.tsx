"use client";

import { useTranslations } from "next-intl";
import type { LiveVmUsage } from "@/server/metrics/live";
import { useFormat } from "@/app/_components/use-format";
import { Fact } from "@/app/_components/fact";
import { useLiveEvent } from "@/app/_components/live-events";
import { useVmCache } from "@/app/_components/vm-cache";
import { Section } from "../section";

/**
 * The VM's usage as of the collector's latest tick, kept current by `metrics.tick` events (the
 * page's cached VM is updated, so the figures change without a reload). A figure the collector
 * cannot know yet (rates need two samples) shows as "—".
 */
export function LiveUsage({ usage, running }: { usage: LiveVmUsage | null; running: boolean }) {
  const t = useTranslations("vm.overview.usage");
  const f = useFormat();
  const vmCache = useVmCache();
  useLiveEvent("metrics.tick", (event) => vmCache.setUsage(event));
  const known = <T,>(value: T | null | undefined, show: (v: T) => string) => (value === null || value === undefined ? "—" : show(value));
  const rate = (bytesPerSecond: number) => t("perSecond", { amount: f.bytes(bytesPerSecond) });
  return (
    <Section title={t("title")}>
      {!running ? (
        <p className="text-sm">{t("notRunning")}</p>
      ) : (
        <dl className="grid grid-cols-2 gap-3 text-sm" data-testid="vm-usage">
          <Fact label={t("cpu")}>
            <span data-testid="vm-usage-cpu">{known(usage?.cpu, (v) => t("percent", { percent: f.number(v, 1) }))}</span>
          </Fact>
          <Fact label={t("memory")}>
            {known(usage?.memoryUsed, (used) =>
              usage?.memoryTotal ? t("memoryOf", { used: f.bytes(used), total: f.bytes(usage.memoryTotal) }) : f.bytes(used),
            )}
          </Fact>
          <Fact label={t("diskRead")}>{known(usage?.diskRead, rate)}</Fact>
          <Fact label={t("diskWrite")}>{known(usage?.diskWrite, rate)}</Fact>
          <Fact label={t("netRx")}>{known(usage?.netRx, rate)}</Fact>
          <Fact label={t("netTx")}>{known(usage?.netTx, rate)}</Fact>
        </dl>
      )}
    </Section>
  );
}

import type { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatBytes } from "@/app/_components/format";

type Change = inferRouterOutputs<AppRouter>["vms"]["setResources"]["changes"][number];

/** The translator of the Settings tab's namespace. */
export type SettingsT = ReturnType<typeof useTranslations<"vmSettings">>;

function figure(what: Change["what"], value: number, locale: string): string {
  return what === "vcpus" || what === "maxVcpus" ? String(value) : formatBytes(value * 1024, locale);
}

/** "vCPUs 1 → 2: now and at next boot", one line per figure changed, for the notice after saving. */
export function changeWords(change: Change, t: SettingsT, locale: string): string {
  return t("resources.change", {
    what: t(`resources.${change.what === "memoryKiB" ? "memory" : change.what === "maxMemoryKiB" ? "maxMemory" : change.what}`),
    from: figure(change.what, change.from, locale),
    to: figure(change.what, change.to, locale),
    applies: change.applies,
  });
}

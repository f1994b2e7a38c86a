import type { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { formatBytes } from "@/app/_components/format";

type Answer = inferRouterOutputs<AppRouter>["vms"]["setResources"];
type Change = Answer["changes"][number];
type GuestReport = Extract<Answer, { guest: unknown }>["guest"];

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

/** What the guest did with what was plugged in: vCPUs and memory blocks it brought online, or that it may not use them yet. */
export function guestWords(guest: GuestReport, memoryAdded: boolean, t: SettingsT): string[] {
  if (guest.state !== "online") return [memoryAdded ? t("resources.guestMemoryNotOnline") : t("resources.guestNotOnline")];
  const words = guest.cpusOnlined.length > 0 || !memoryAdded ? [t("resources.guestOnline", { count: guest.cpusOnlined.length })] : [];
  if (memoryAdded) words.push(t("resources.guestMemoryOnline", { count: guest.memoryOnlined.length }));
  return words;
}

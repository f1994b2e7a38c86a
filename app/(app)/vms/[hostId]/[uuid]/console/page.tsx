import type { Metadata } from "next";
import { getTranslations } from "next-intl/server";
import { loadVm, vmPermissions } from "../load-vm";
import { ConsoleView } from "./console-view";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("vmConsole");
  return { title: t("pageTitle") };
}

export const dynamic = "force-dynamic";

export default async function ConsolePage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can, t] = await Promise.all([loadVm(hostId, uuid), vmPermissions(), getTranslations("vmConsole")]);
  return (
    <section className="space-y-3" aria-labelledby="console-heading">
      <h2 id="console-heading" className="text-lg font-semibold">
        {t("heading")}
      </h2>
      <ConsoleView initial={vm} can={{ power: can.power, console: can.console, edit: can.edit }} />
    </section>
  );
}

import type { Metadata } from "next";
import { loadVm, vmPermissions } from "../load-vm";
import { ConsoleView } from "./console-view";

export const metadata: Metadata = { title: "Console" };
export const dynamic = "force-dynamic";

export default async function ConsolePage({ params }: { params: Promise<{ hostId: string; uuid: string }> }) {
  const { hostId, uuid } = await params;
  const [vm, can] = await Promise.all([loadVm(hostId, uuid), vmPermissions()]);
  return (
    <section className="space-y-3" aria-labelledby="console-heading">
      <h2 id="console-heading" className="text-lg font-semibold">
        Console
      </h2>
      <ConsoleView initial={vm} can={{ power: can.power, console: can.console, edit: can.edit }} />
    </section>
  );
}

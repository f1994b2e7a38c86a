"use client";

import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { VncConsole } from "./vnc-console";
import { SerialConsole } from "./serial-console";

type Vm = inferRouterOutputs<AppRouter>["vms"]["get"];
type Kind = "graphical" | "serial";

const RUNNING = new Set(["running", "paused", "blocked"]);

function AddVnc({ vm }: { vm: Vm }) {
  const t = useTranslations("vmConsole.addVnc");
  const trpc = useTRPC();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const [added, setAdded] = useState(false);
  const add = useMutation(
    trpc.consoles.addVnc.mutationOptions({
      onSuccess: ({ added: didAdd }) => {
        setAdded(true);
        toasts.success(`vnc ${vm.hostId}/${vm.uuid}`, didAdd ? t("added", { name: vm.name }) : t("alreadyHas", { name: vm.name }));
      },
      onError: (error) => toasts.error(`vnc ${vm.hostId}/${vm.uuid}`, t("failed", { name: vm.name, error: error.message })),
    }),
  );
  if (added) return <p className="text-sm">{t("done")}</p>;
  return (
    <button type="button" className="btn btn-primary" disabled={!hydrated || add.isPending} onClick={() => add.mutate({ hostId: vm.hostId, uuid: vm.uuid })}>
      {add.isPending ? t("pending") : t("button")}
    </button>
  );
}

/**
 * The console tab: the screen (noVNC) or the serial port (xterm.js), one at a time — each holds a
 * socket, and the serial console is exclusive. The VM's state comes live: a VM that stops closes
 * its consoles on the server, and this says the VM is off (the power buttons above start it).
 */
export function ConsoleView({ initial, can }: { initial: Vm; can: { power: boolean; console: boolean; edit: boolean } }) {
  const t = useTranslations("vmConsole.view");
  const trpc = useTRPC();
  const ref = { hostId: initial.hostId, uuid: initial.uuid };
  const { data: vm } = useQuery({ ...trpc.vms.get.queryOptions(ref), initialData: initial });
  useLiveRefetch(["domain.lifecycle"], (event) => (event.hostId === vm.hostId && event.uuid === vm.uuid ? [trpc.vms.get.queryKey(ref)] : []));
  const hasGraphics = vm.graphics.length > 0;
  const [kind, setKind] = useState<Kind>(hasGraphics ? "graphical" : "serial");

  if (!can.console) return <p className="text-sm">{t("noAccess")}</p>;
  const running = RUNNING.has(vm.state);

  const tab = (value: Kind, label: string) => (
    <button
      type="button"
      role="tab"
      id={`console-tab-${value}`}
      aria-selected={kind === value}
      aria-controls="console-panel"
      tabIndex={kind === value ? 0 : -1}
      className={`min-h-11 border-b-2 px-4 text-sm font-medium ${kind === value ? "border-sky-600 text-sky-700 dark:text-sky-400" : "border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100"}`}
      onClick={() => setKind(value)}
      onKeyDown={(e) => {
        if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
        const next: Kind = kind === "graphical" ? "serial" : "graphical";
        setKind(next);
        document.getElementById(`console-tab-${next}`)?.focus();
      }}
    >
      {label}
    </button>
  );

  return (
    <div className="space-y-3">
      <div role="tablist" aria-label={t("tablistLabel")} className="flex border-b border-slate-200 dark:border-slate-800">
        {tab("graphical", t("graphical"))}
        {tab("serial", t("serial"))}
      </div>
      <div id="console-panel" role="tabpanel" aria-labelledby={`console-tab-${kind}`} className="space-y-3">
        {!running ? (
          <div className="card space-y-3">
            <p>{t("off", { name: vm.name })}</p>
            {can.power && <p>{t("startHint")}</p>}
          </div>
        ) : kind === "graphical" ? (
          hasGraphics ? (
            <VncConsole key={`${vm.hostId}/${vm.uuid}`} hostId={vm.hostId} uuid={vm.uuid} name={vm.name} />
          ) : (
            <div className="card space-y-3">
              <p>{t("noGraphics", { name: vm.name })}</p>
              {can.edit ? <AddVnc vm={vm} /> : <p className="text-sm text-slate-600 dark:text-slate-400">{t("addVncNeedsEdit")}</p>}
            </div>
          )
        ) : (
          <SerialConsole key={`${vm.hostId}/${vm.uuid}`} hostId={vm.hostId} uuid={vm.uuid} name={vm.name} />
        )}
      </div>
    </div>
  );
}

"use client";

import { useMutation } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { AGENT_CHANNEL, QGA_CHANNEL } from "@/server/domains/xml-names";
import { useTRPC } from "@/app/_components/trpc";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useVmCache } from "@/app/_components/vm-cache";
import type { Vm } from "../use-vm";

/** What each channel lets the manager do, in the words of someone who has not read libvirt's docs (catalog keys). */
const CHANNEL_PURPOSE = {
  [AGENT_CHANNEL]: { name: "agentName", gives: "agentGives" },
  [QGA_CHANNEL]: { name: "qgaName", gives: "qgaGives" },
} as const;

/** The channel's status as a key of vmSettings.agents.status: missing, or libvirt's state of a channel that is set up. */
function channelStatus(present: boolean, state: string | null): "missing" | "connected" | "disconnected" | "defined" {
  if (!present) return "missing";
  if (state === "connected") return "connected";
  if (state === "disconnected") return "disconnected";
  return "defined";
}

export function AgentChannels({ vm, canEdit }: { vm: Vm; canEdit: boolean }) {
  const trpc = useTRPC();
  const vmCache = useVmCache();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const t = useTranslations("vmSettings.agents");
  // The answer names the channels added, not their paths and states: this VM is read again.
  const add = useMutation(
    trpc.vms.addAgentChannels.mutationOptions({
      onSuccess: () => {
        vmCache.reread(vm);
        toasts.success(`channels ${vm.hostId}/${vm.uuid}`, t("added", { name: vm.name }));
      },
      onError: (error) => toasts.error(`channels ${vm.hostId}/${vm.uuid}`, t("addFailed", { name: vm.name, error: error.message })),
    }),
  );
  const byName = new Map(vm.channels.map((c) => [c.name, c]));
  const missing = [AGENT_CHANNEL, QGA_CHANNEL].filter((n) => !byName.has(n));
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("intro")}</p>
      <ul className="space-y-2 text-sm">
        {([AGENT_CHANNEL, QGA_CHANNEL] as const).map((channel) => {
          const present = byName.get(channel);
          const purpose = CHANNEL_PURPOSE[channel];
          return (
            <li key={channel} className="break-words">
              {t.rich("channel", {
                name: t(purpose.name),
                gives: t(purpose.gives),
                status: t(`status.${channelStatus(!!present, present?.state ?? null)}`),
                strong: (chunks) => <strong>{chunks}</strong>,
              })}
              <span translate="no" className="block break-all font-mono text-xs text-slate-500 dark:text-slate-400">
                {channel}
              </span>
            </li>
          );
        })}
      </ul>
      {missing.length > 0 && canEdit && (
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => add.mutate({ hostId: vm.hostId, uuid: vm.uuid })}
          disabled={!hydrated || add.isPending}
        >
          {add.isPending ? t("adding") : t("add")}
        </button>
      )}
    </>
  );
}

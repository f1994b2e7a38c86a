"use client";

import { useId, useState } from "react";
import { useTranslations } from "next-intl";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { useTRPC } from "@/app/_components/trpc";
import { FormStatus } from "@/app/_components/form-status";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { useToasts } from "@/app/_components/toasts";
import { Fact } from "@/app/_components/fact";
import { useFormat } from "@/app/_components/use-format";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ResourceActions, useLifecycle } from "@/app/_components/host-resources/resource-actions";

export type Network = inferRouterOutputs<AppRouter>["networks"]["list"][number];

const FORWARD_MODES = ["nat", "isolated", "bridge", "route", "open"] as const;

/** A forward mode in words; one this table lacks shows as libvirt names it. */
function useForwardMode() {
  const t = useTranslations("networks.forwardModes");
  return (mode: string) => ((FORWARD_MODES as readonly string[]).includes(mode) ? t(mode as (typeof FORWARD_MODES)[number]) : mode);
}

function ActiveBadge({ active }: { active: boolean }) {
  const t = useTranslations("networks.card");
  const tone = active
    ? "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100"
    : "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200";
  return <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${tone}`}>{active ? t("active") : t("inactive")}</span>;
}

function DhcpLeases({ network }: { network: Network }) {
  const t = useTranslations("networks.leases");
  const f = useFormat();
  const trpc = useTRPC();
  const leases = useQuery({ ...trpc.networks.dhcpLeases.queryOptions({ hostId: network.hostId, network: network.name }), refetchInterval: 30_000 });
  if (leases.isPending) return <p className="text-sm">{t("loading")}</p>;
  if (leases.error) return <FormStatus error={leases.error.message} />;
  if (leases.data.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">{t("none")}</p>;
  return (
    <ul className="space-y-2" aria-label={t("label", { name: network.name })}>
      {leases.data.map((lease) => (
        <li
          key={`${lease.ipAddress}-${lease.mac ?? lease.clientId ?? ""}`}
          className="min-w-0 rounded-md border border-slate-200 p-2 text-sm dark:border-slate-700"
        >
          <div className="break-all font-mono" translate="no">
            {lease.ipAddress}/{lease.prefix}
          </div>
          <div className="break-all text-xs text-slate-600 dark:text-slate-400">
            {lease.hostname ? <span translate="no">{lease.hostname}</span> : t("noHostName")} ·{" "}
            {(lease.mac ?? lease.clientId) ? <span translate="no">{lease.mac ?? lease.clientId}</span> : t("noMac")} ·{" "}
            {t("until", { time: f.dateTime(lease.expiresAt) })}
          </div>
        </li>
      ))}
    </ul>
  );
}

export function NetworkCard({ network, canManage }: { network: Network; canManage: boolean }) {
  const t = useTranslations("networks.card");
  const forwardMode = useForwardMode();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hydrated = useHydrated();
  const leasesId = useId();
  const [showLeases, setShowLeases] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.networks.pathKey() });
  const ref = { hostId: network.hostId, network: network.name };
  const lifecycle = useLifecycle(
    ref,
    invalidate,
    trpc.networks.start.mutationOptions(),
    trpc.networks.stop.mutationOptions(),
    trpc.networks.setAutostart.mutationOptions(),
  );
  const toasts = useToasts();
  const remove = useMutation(
    trpc.networks.delete.mutationOptions({
      onSuccess: () => {
        void invalidate();
        toasts.success(`network ${network.hostId}/${network.name}`, t("deleted", { name: network.name }));
      },
    }),
  );
  const ipv4 = network.ips.filter((ip) => ip.family === "ipv4");
  const ipv6 = network.ips.filter((ip) => ip.family === "ipv6");
  const ranges = network.ips.flatMap((ip) => ip.dhcpRanges);
  const leasesAvailable = ranges.length > 0 && network.active;

  return (
    <li className="card min-w-0 space-y-3" aria-label={t("label", { name: network.name })}>
      <div className="flex flex-wrap items-center gap-2">
        <span className="min-w-0 break-all text-base font-semibold" translate="no">
          {network.name}
        </span>
        <ActiveBadge active={network.active} />
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs dark:bg-slate-800">{forwardMode(network.forwardMode)}</span>
        {network.autostart && <span className="text-xs text-slate-500 dark:text-slate-400">{t("autostart")}</span>}
      </div>
      <dl className="grid grid-cols-2 gap-2 text-sm">
        <Fact label={t("forwardMode")}>{forwardMode(network.forwardMode)}</Fact>
        <Fact label={t("bridge")} className="break-all font-mono">
          <span translate="no">{network.bridge ?? "—"}</span>
        </Fact>
        <Fact label={t("ipv4")} className="break-all font-mono">
          {ipv4.length ? ipv4.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ") : "—"}
        </Fact>
        <Fact label={t("dhcpRange")} className="font-mono">
          {ranges.length
            ? ranges.map((r, i) => (
                <span key={`${r.start}-${r.end}`} className="block">
                  <span className="whitespace-nowrap">{r.start}</span> – <span className="whitespace-nowrap">{r.end}</span>
                  {i < ranges.length - 1 && ","}
                </span>
              ))
            : t("none")}
        </Fact>
        {ipv6.length > 0 && (
          <Fact label={t("ipv6")} wide className="break-all font-mono">
            {ipv6.map((ip) => `${ip.address}/${ip.prefix ?? "?"}`).join(", ")}
          </Fact>
        )}
      </dl>
      <ResourceActions
        noun="network"
        item={network}
        canManage={canManage}
        lifecycle={lifecycle}
        confirmDelete={(close) => (
          <ConfirmDelete
            what={t("deleteWhat", { name: network.name })}
            confirmLabel={t("confirmDelete")}
            mutation={remove}
            onConfirm={() => remove.mutate(ref)}
            onCancel={close}
          >
            <p className="text-sm">
              {t.rich("deleteText", {
                name: network.name,
                mono: (chunks) => (
                  <span className="break-all font-mono" translate="no">
                    {chunks}
                  </span>
                ),
              })}
            </p>
          </ConfirmDelete>
        )}
      >
        {leasesAvailable && (
          <button
            type="button"
            className="btn btn-secondary"
            aria-expanded={showLeases}
            aria-controls={showLeases ? leasesId : undefined}
            disabled={!hydrated}
            onClick={() => setShowLeases((v) => !v)}
          >
            {t("leasesButton")}
          </button>
        )}
      </ResourceActions>
      {showLeases && leasesAvailable && (
        <div id={leasesId}>
          <DhcpLeases network={network} />
        </div>
      )}
    </li>
  );
}

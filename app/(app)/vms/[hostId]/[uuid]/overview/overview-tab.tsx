"use client";

import { useTranslations } from "next-intl";
import { useFormat } from "@/app/_components/use-format";
import { Fact } from "@/app/_components/fact";
import { VmThumbnail } from "@/app/_components/vm-thumbnail";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";
import { LiveUsage } from "./live-usage";

const DEVICES = ["disk", "cdrom", "floppy", "lun"] as const;

/** What the VM is: its size and firmware, where its disks and network cards point. */
export function OverviewTab({ initial, canSeeScreen }: { initial: Vm; canSeeScreen: boolean }) {
  const vm = useVm(initial);
  const t = useTranslations("vm");
  const f = useFormat();
  const verbatim = (chunks: React.ReactNode) => (
    <span translate="no" className="break-all font-mono">
      {chunks}
    </span>
  );
  const mono = (chunks: React.ReactNode) => (
    <span translate="no" className="font-mono">
      {chunks}
    </span>
  );
  const deviceWord = (device: string) =>
    (DEVICES as readonly string[]).includes(device) ? t(`overview.device.${device as (typeof DEVICES)[number]}`) : device;
  return (
    <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
      {canSeeScreen && vm.graphics.length > 0 && (
        <Section title={t("overview.screen")}>
          <VmThumbnail hostId={vm.hostId} uuid={vm.uuid} name={vm.name} running={vm.state === "running" || vm.state === "paused"} className="max-w-md" />
        </Section>
      )}
      <Section title={t("overview.title")}>
        <dl className="grid grid-cols-2 gap-3 text-sm">
          <Fact label={t("overview.uuid")} wide className="break-all font-mono">
            {vm.uuid}
          </Fact>
          <Fact label={t("overview.vcpus")}>{f.number(vm.vcpus)}</Fact>
          <Fact label={t("overview.memory")}>{f.bytes(vm.memoryKiB * 1024)}</Fact>
          <Fact label={t("overview.firmware")}>{vm.firmware.toUpperCase()}</Fact>
          <Fact label={t("overview.virtualisation")}>{vm.domainType === "kvm" ? t("virtualisation.kvm") : t("virtualisation.tcg")}</Fact>
          <Fact label={t("overview.autostart")}>{vm.autostart ? t("overview.yes") : t("overview.no")}</Fact>
          <Fact label={t("overview.tags")}>{vm.tags.length ? <span translate="no">{vm.tags.join(", ")}</span> : "—"}</Fact>
        </dl>
      </Section>
      <LiveUsage usage={vm.usage} running={vm.state === "running" || vm.state === "paused" || vm.state === "blocked"} />
      <Section title={t("overview.disks")}>
        {vm.disks.length === 0 ? (
          <p className="text-sm">
            {vm.directKernel
              ? vm.directKernel.initrd
                ? t.rich("overview.directKernelInitrd", { kernel: vm.directKernel.kernel, initrd: vm.directKernel.initrd, path: verbatim })
                : t.rich("overview.directKernel", { kernel: vm.directKernel.kernel, path: verbatim })
              : t("overview.noDisks")}
          </p>
        ) : (
          <ul className="space-y-2 text-sm">
            {vm.disks.map((d) => {
              const values = { target: d.target, device: deviceWord(d.device), bus: d.bus, format: d.format ?? "none", readonly: d.readonly ? "yes" : "no" };
              return (
                <li key={d.target} className="break-all">
                  {d.source === null || d.source === undefined
                    ? t.rich("overview.diskEmpty", { ...values, dev: mono })
                    : t.rich("overview.disk", { ...values, source: d.source, dev: mono, path: (chunks) => <span translate="no">{chunks}</span> })}
                  {vm.missingFiles
                    .filter((m) => m.target === d.target)
                    .map((m) => (
                      <p key={m.path} className="mt-1 text-red-700 dark:text-red-300">
                        {t.rich(
                          m.backing
                            ? vm.state === "shutoff"
                              ? "overview.missingBacking"
                              : "overview.missingBackingAgain"
                            : vm.state === "shutoff"
                              ? "overview.missingFile"
                              : "overview.missingFileAgain",
                          { path: m.path, file: mono },
                        )}
                      </p>
                    ))}
                </li>
              );
            })}
          </ul>
        )}
      </Section>
      <Section title={t("overview.network")}>
        {vm.nics.length === 0 ? (
          <p className="text-sm">{t("overview.noNics")}</p>
        ) : (
          <ul className="space-y-2 text-sm">
            {vm.nics.map((n, i) => (
              <li key={n.mac ?? i} className="break-all">
                {n.mac ? (
                  <span translate="no" className="font-mono">
                    {n.mac}
                  </span>
                ) : (
                  <span className="font-mono">{t("overview.noMac")}</span>
                )}{" "}
                —{" "}
                <span translate="no">
                  {n.type}
                  {n.source && ` ${n.source}`}
                  {n.model && `, ${n.model}`}
                </span>
              </li>
            ))}
          </ul>
        )}
      </Section>
    </div>
  );
}

"use client";

import { useTranslations } from "next-intl";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";
import { SnapshotsPanel } from "./snapshots-panel";

/** The VM's snapshots; which kinds can be taken depends on its state and disks, so both are followed live. */
export function SnapshotsTab({ initial, canManage }: { initial: Vm; canManage: boolean }) {
  const vm = useVm(initial);
  const t = useTranslations("vmSnapshots");
  return (
    <Section title={t("title")}>
      <SnapshotsPanel hostId={vm.hostId} uuid={vm.uuid} running={vm.state === "running" || vm.state === "paused"} disks={vm.disks} canManage={canManage} />
    </Section>
  );
}

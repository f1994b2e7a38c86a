"use client";

import { useTranslations } from "next-intl";
import { Section } from "../section";
import { BackUpNow, BackupList, type Backup, type BackupAbilities } from "@/app/(app)/backups/backup-list";

/** The VM's backups and "Back up now" for operators. */
export function VmBackups({
  vm,
  initial,
  pools,
  canCreate,
  can,
}: {
  vm: { hostId: string; uuid: string; name: string };
  /** The backup-target pools of the VM's host. */
  pools: string[];
  initial: Backup[];
  canCreate: boolean;
  can: BackupAbilities;
}) {
  const t = useTranslations("backups");
  return (
    <Section title={t("vmSection")}>
      {canCreate && <BackUpNow hostId={vm.hostId} uuid={vm.uuid} vmName={vm.name} pools={pools} />}
      <BackupList initial={initial} vm={{ hostId: vm.hostId, uuid: vm.uuid }} can={can} />
    </Section>
  );
}

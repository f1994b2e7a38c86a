"use client";

import { useTranslations } from "next-intl";
import { Section } from "../section";
import { BackUpNow, BackupList, type Backup, type BackupAbilities } from "@/app/(app)/backups/backup-list";

/** The VM's backups and "Back up now" for operators. */
export function VmBackups({
  vm,
  initial,
  canCreate,
  can,
}: {
  vm: { hostId: string; uuid: string; name: string };
  initial: Backup[];
  canCreate: boolean;
  can: BackupAbilities;
}) {
  const t = useTranslations("backups");
  return (
    <Section title={t("vmSection")}>
      {canCreate && <BackUpNow hostId={vm.hostId} uuid={vm.uuid} vmName={vm.name} />}
      <BackupList initial={initial} vm={{ hostId: vm.hostId, uuid: vm.uuid }} can={can} />
    </Section>
  );
}

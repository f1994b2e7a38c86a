"use client";

import { useTranslations } from "next-intl";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";
import { GuestPanel } from "./guest-panel";

/** What the guest says about itself, and commands run in it. */
export function GuestTab({ initial, canExec }: { initial: Vm; canExec: boolean }) {
  const vm = useVm(initial);
  const t = useTranslations("vmGuest");
  return (
    <Section title={t("title")}>
      <GuestPanel hostId={vm.hostId} uuid={vm.uuid} running={vm.state === "running"} canExec={canExec} />
    </Section>
  );
}

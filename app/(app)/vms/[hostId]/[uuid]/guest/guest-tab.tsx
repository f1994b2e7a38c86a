"use client";

import { useTranslations } from "next-intl";
import { Section } from "../section";
import { useVm, type Vm } from "../use-vm";
import { GuestPanel } from "./guest-panel";
import { PackagesPanel } from "./packages-panel";
import { ResetPassword } from "./reset-password";
import { ServicesPanel } from "./services-panel";

/** What the guest says about itself, and commands run in it; its services and packages; its accounts' passwords. */
export function GuestTab({ initial, canExec }: { initial: Vm; canExec: boolean }) {
  const vm = useVm(initial);
  const t = useTranslations("vmGuest");
  const admin = useTranslations("guestAdmin");
  const running = vm.state === "running";
  return (
    <div className="space-y-4">
      <Section title={t("title")}>
        <GuestPanel hostId={vm.hostId} uuid={vm.uuid} running={running} canExec={canExec} />
      </Section>
      <Section title={admin("services.title")}>
        <ServicesPanel hostId={vm.hostId} uuid={vm.uuid} running={running} canExec={canExec} />
      </Section>
      <Section title={admin("packages.title")}>
        <PackagesPanel hostId={vm.hostId} uuid={vm.uuid} running={running} />
      </Section>
      <Section title={admin("password.title")}>
        <ResetPassword hostId={vm.hostId} uuid={vm.uuid} name={vm.name} running={running} canExec={canExec} />
      </Section>
    </div>
  );
}

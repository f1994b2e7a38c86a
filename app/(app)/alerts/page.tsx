import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { ALERT_SEVERITIES, ALERT_STATES } from "@/server/alerts/kinds";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { Field, Options } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import { parseAlertFilters } from "./alert-words";
import { AlertList } from "./alert-list";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("alerts");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

/** Active alerts and their history, filtered by the URL; the list itself stays live (alert-list.tsx). */
export default async function AlertsPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePermission("alert.read");
  const t = await getTranslations("alerts");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const { filters, invalid } = parseAlertFilters(raw);
  const api = await serverApi();
  const [alerts, hosts, vmLists] = await Promise.all([
    api.alerts.list({ ...filters, limit: 200 }),
    roleHas(user.role, "host.read") ? api.hosts.list() : [],
    roleHas(user.role, "vm.read") ? api.vms.list({}) : [],
  ]);
  const vms = vmLists.flatMap((list) => list.vms).sort((a, b) => a.name.localeCompare(b.name));
  const filtersSet = Object.values(filters).filter(Boolean).length;
  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
        <Link href="/alerts/rules" className="btn btn-secondary">
          {t("rulesLink")}
        </Link>
      </div>
      <CollapsibleFilters label={t("filters.toggle")} active={filtersSet} startOpen={invalid.length > 0}>
        <form method="get" className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-start" aria-label={t("filters.formLabel")}>
          <Field id="alerts-severity" label={t("filters.severity")}>
            <select id="alerts-severity" name="severity" defaultValue={filters.severity ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anySeverity") }, ...ALERT_SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))]} />
            </select>
          </Field>
          <Field id="alerts-state" label={t("filters.state")}>
            <select id="alerts-state" name="state" defaultValue={filters.state ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anyState") }, ...ALERT_STATES.map((s) => ({ value: s, label: t(`state.${s}`) }))]} />
            </select>
          </Field>
          <Field id="alerts-host" label={t("filters.host")}>
            <select id="alerts-host" name="hostId" defaultValue={filters.hostId ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anyHost") }, ...hosts.map((h) => ({ value: h.id, label: `${h.name} (${h.id})` }))]} />
            </select>
          </Field>
          <Field id="alerts-vm" label={t("filters.vm")}>
            <select id="alerts-vm" name="uuid" defaultValue={filters.uuid ?? ""} className="input mt-1">
              <Options
                choices={[
                  { value: "", label: t("filters.anyVm") },
                  ...vms.map((vm) => ({ value: vm.uuid, label: hosts.length > 1 ? `${vm.name} (${vm.hostId})` : vm.name })),
                  // A VM that is gone (its alerts stay in the history) is still the filter the link named.
                  ...(filters.uuid && !vms.some((vm) => vm.uuid === filters.uuid) ? [filters.uuid] : []),
                ]}
              />
            </select>
          </Field>
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2 lg:col-span-4">
            <button type="submit" className="btn btn-primary">
              {t("filters.submit")}
            </button>
            <Link href="/alerts" className="btn btn-secondary">
              {t("filters.clear")}
            </Link>
          </div>
        </form>
      </CollapsibleFilters>
      {invalid.length > 0 && (
        <p className="card text-sm">
          {t("filters.invalid", { names: invalid.map((name) => t(`filters.${name === "uuid" ? "vm" : name === "hostId" ? "host" : name}`)).join(", ") })}
        </p>
      )}
      <AlertList filters={filters} initial={alerts} canAck={roleHas(user.role, "alert.ack")} />
    </div>
  );
}

import { getTranslations } from "next-intl/server";
import { Field, Options } from "./form-fields";
import type { HostFilter as HostFilterValue } from "./host-filter-param";

/**
 * The host filter of the pages that list things across hosts: a GET form (works without script,
 * as a plain submit) that puts `?host=<id>` in the URL, shown only when there is more than one host.
 * A filtered page says which host it shows, and an unknown host in the URL is said in words while
 * every host is shown.
 */
export async function HostFilter({ hosts, filter }: { hosts: readonly { id: string; name: string }[]; filter: HostFilterValue }) {
  const t = await getTranslations("common.hostFilter");
  const shown = hosts.find((h) => h.id === filter.hostId);
  return (
    <>
      {hosts.length > 1 && (
        <form method="get" role="search" aria-label={t("formLabel")} className="card flex flex-wrap items-end gap-3">
          <Field id="host-filter" label={t("host")} className="min-w-0 flex-1 sm:max-w-sm">
            <select id="host-filter" name="host" defaultValue={filter.hostId ?? ""} className="input mt-1 w-full">
              <Options choices={[{ value: "", label: t("allHosts") }, ...hosts.map((h) => ({ value: h.id, label: `${h.name} (${h.id})` }))]} />
            </select>
          </Field>
          <button type="submit" className="btn btn-primary">
            {t("submit")}
          </button>
        </form>
      )}
      {shown && (
        <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="host-filter-shown">
          {t("showing", { name: shown.name, id: shown.id })}
        </p>
      )}
      {filter.unknown !== null && (
        <p className="card text-sm" role="status">
          {t("unknown", { id: filter.unknown })}
        </p>
      )}
    </>
  );
}

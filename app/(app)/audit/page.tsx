import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getLocale, getTranslations } from "next-intl/server";
import { AUDIT_RESULTS } from "@/server/db/schema";
import { auditTargets } from "@/server/audit/targets";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { formatDateTime } from "@/app/_components/format";
import { Field, Options, TextField } from "@/app/_components/form-fields";
import { describedBy } from "@/app/_components/field-ids";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import { parseAuditFilters } from "./filters";
import { actionWords, areaWords, AREAS, type AuditT } from "./action-words";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("audit");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

const RESULT_TONE: Record<(typeof AUDIT_RESULTS)[number], string> = {
  ok: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  error: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  denied: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  invalid: "bg-slate-200 text-slate-900 dark:bg-slate-800 dark:text-slate-100",
};

/** The action choices: every action of an area, then each action the log holds, in words, grouped by area. */
function actionChoices(t: AuditT, actions: readonly string[]) {
  const choice = (a: string) => ({ value: a, label: actionWords(t, a) });
  return AREAS.map((area) => ({
    area: area as string,
    words: areaWords(t, area),
    actions: actions.filter((a) => a.startsWith(`${area}.`)).map(choice),
  }))
    .concat([
      {
        area: "",
        words: t("filters.other"),
        actions: actions.filter((a) => !AREAS.some((area) => a.startsWith(`${area}.`))).map(choice),
      },
    ])
    .filter((g) => g.actions.length > 0);
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePermission("audit.read");
  const t = await getTranslations("audit");
  const locale = await getLocale();
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const { filters, errors } = parseAuditFilters(raw, t);
  const valid = Object.keys(errors).length === 0;
  const api = await serverApi();
  const [{ rows, nextBeforeId }, actions] = await Promise.all([
    valid ? api.audit.list({ ...filters, limit: 50 }) : { rows: [], nextBeforeId: null },
    api.audit.actions(),
  ]);
  const olderParams = new URLSearchParams(
    Object.entries({ ...raw, beforeId: nextBeforeId ? String(nextBeforeId) : undefined }).filter((e): e is [string, string] => !!e[1]),
  );
  const choices = actionChoices(t, actions);

  // What the user typed counts, valid or not: the button must not say "none set" over a rejected filter.
  const filtersSet = Object.entries(raw).filter(([name, value]) => name !== "beforeId" && !!value).length;

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      {/* Open on a phone too when a filter is wrong: its message is what the page is about then. */}
      <CollapsibleFilters label={t("filters.toggle")} active={filtersSet} startOpen={!valid}>
        <form method="get" noValidate className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4 lg:items-start" aria-label={t("filters.formLabel")}>
          <TextField
            id="audit-target"
            label={t("filters.target")}
            name="target"
            defaultValue={raw.target ?? ""}
            placeholder={t("filters.targetPlaceholder")}
            error={errors.target}
          />
          <TextField
            id="audit-user"
            label={t("filters.user")}
            hint={t("filters.userHint", { unknownUser: auditTargets.unknownUser })}
            name="username"
            defaultValue={raw.username ?? ""}
            autoComplete="off"
            error={errors.username}
          />
          <Field id="audit-action" label={t("filters.action")} error={errors.action}>
            <select
              id="audit-action"
              name="action"
              defaultValue={raw.action ?? ""}
              className="input mt-1"
              {...describedBy("audit-action", false, errors.action ?? null)}
            >
              <option value="">{t("filters.anyAction")}</option>
              {choices.map((group) => (
                <optgroup key={group.area || "other"} label={group.words}>
                  {group.area && <option value={`${group.area}.`}>{t("filters.anyInArea", { area: group.words })}</option>}
                  <Options choices={group.actions} />
                </optgroup>
              ))}
            </select>
          </Field>
          <Field id="audit-result" label={t("filters.result")} error={errors.result}>
            <select
              id="audit-result"
              name="result"
              defaultValue={raw.result ?? ""}
              className="input mt-1"
              {...describedBy("audit-result", false, errors.result ?? null)}
            >
              <Options choices={[{ value: "", label: t("filters.anyResult") }, ...AUDIT_RESULTS.map((r) => ({ value: r, label: t(`results.${r}`) }))]} />
            </select>
          </Field>
          <TextField id="audit-since" label={t("filters.from")} type="datetime-local" name="since" defaultValue={raw.since ?? ""} error={errors.since} />
          <TextField id="audit-until" label={t("filters.to")} type="datetime-local" name="until" defaultValue={raw.until ?? ""} error={errors.until} />
          <div className="flex flex-wrap items-end gap-2 lg:col-span-2 lg:mt-6">
            <button type="submit" className="btn btn-primary">
              {t("filters.submit")}
            </button>
            <Link href="/audit" className="btn btn-secondary">
              {t("filters.clear")}
            </Link>
          </div>
        </form>
      </CollapsibleFilters>

      {!valid && <p className="card text-sm">{t("list.fixFilters")}</p>}
      {!valid ? null : rows.length === 0 ? (
        <p className="card text-sm">{t("list.noEntries")}</p>
      ) : (
        <ol className="space-y-2" aria-label={t("list.label")}>
          {rows.map((row) => (
            <li key={row.id} className="card text-sm">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${RESULT_TONE[row.result]}`}>{t(`results.${row.result}`)}</span>
                <span className="font-medium">{actionWords(t, row.action)}</span>
                <span className="font-mono text-xs text-slate-500 dark:text-slate-400" translate="no">
                  {row.action}
                </span>
                {/* The target is the log's own spelling (what a search for it matches), kept as stored. */}
                {row.target && (
                  <span className="break-all" translate="no">
                    {row.target}
                  </span>
                )}
                <span className="ml-auto text-xs text-slate-500 dark:text-slate-400">
                  <time dateTime={row.at.toISOString()}>{formatDateTime(row.at, locale)}</time>
                </span>
              </div>
              <div className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-600 dark:text-slate-400">
                <span>{row.username ? t("list.by", { username: row.username }) : t("list.byNobody")}</span>
                {row.clientIp && <span>{t("list.from", { ip: row.clientIp })}</span>}
                {/* An error may hold a long unbroken token (a checksum, an address): it wraps anywhere rather than widen a phone's page. */}
                {row.error && (
                  <span translate="no" className="min-w-0 text-red-700 [overflow-wrap:anywhere] dark:text-red-300">
                    {row.error}
                  </span>
                )}
              </div>
              {row.input && (
                <pre translate="no" className="mt-1 overflow-x-auto whitespace-pre-wrap break-all font-mono text-xs text-slate-500 dark:text-slate-400">
                  {row.input}
                </pre>
              )}
            </li>
          ))}
        </ol>
      )}
      {nextBeforeId && (
        <Link href={`/audit?${olderParams}`} className="btn btn-secondary">
          {t("list.older")}
        </Link>
      )}
    </div>
  );
}

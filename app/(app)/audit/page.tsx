import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";
import { AUDIT_RESULTS } from "@/server/db/schema";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { formatDateTime } from "@/app/_components/format";
import { Options } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";

export const metadata: Metadata = { title: "Audit log" };
export const dynamic = "force-dynamic";

const filterSchema = z.object({
  username: z
    .string()
    .trim()
    .max(64)
    .optional()
    .transform((v) => v || undefined),
  action: z
    .string()
    .trim()
    .max(128)
    .optional()
    .transform((v) => v || undefined),
  target: z
    .string()
    .trim()
    .max(128)
    .optional()
    .transform((v) => v || undefined),
  result: z.enum(AUDIT_RESULTS).optional().catch(undefined),
  since: z
    .string()
    .optional()
    .transform((v) => (v ? new Date(v) : undefined))
    .pipe(z.date().optional())
    .catch(undefined),
  until: z
    .string()
    .optional()
    .transform((v) => (v ? new Date(`${v}T23:59:59.999Z`) : undefined))
    .pipe(z.date().optional())
    .catch(undefined),
  beforeId: z.coerce.number().int().positive().optional().catch(undefined),
});

const RESULT_TONE: Record<(typeof AUDIT_RESULTS)[number], string> = {
  ok: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  error: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  denied: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
  invalid: "bg-slate-200 text-slate-900 dark:bg-slate-800 dark:text-slate-100",
};

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  await requirePermission("audit.read");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const filters = filterSchema.parse(raw);
  const api = await serverApi();
  const { rows, nextBeforeId } = await api.audit.list({ ...filters, limit: 50 });
  const olderParams = new URLSearchParams(
    Object.entries({ ...raw, beforeId: nextBeforeId ? String(nextBeforeId) : undefined }).filter((e): e is [string, string] => !!e[1]),
  );

  const filtersSet = Object.entries(filters).filter(([name, value]) => name !== "beforeId" && value !== undefined).length;

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Audit log</h1>
      <CollapsibleFilters label="Filters" active={filtersSet}>
        <form method="get" className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-7 lg:items-end" aria-label="Filter the audit log">
          <label className="text-sm">
            VM, pool, network or user
            <input name="target" defaultValue={raw.target ?? ""} placeholder="web-1" className="input mt-1" />
          </label>
          <label className="text-sm">
            By user
            <input name="username" defaultValue={raw.username ?? ""} className="input mt-1" />
          </label>
          <label className="text-sm">
            Action starts with
            <input name="action" defaultValue={raw.action ?? ""} placeholder="users." className="input mt-1" />
          </label>
          <label className="text-sm">
            Result
            <select name="result" defaultValue={raw.result ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: "Any" }, ...AUDIT_RESULTS]} />
            </select>
          </label>
          <label className="text-sm">
            From
            <input type="date" name="since" defaultValue={raw.since ?? ""} className="input mt-1" />
          </label>
          <label className="text-sm">
            To
            <input type="date" name="until" defaultValue={raw.until ?? ""} className="input mt-1" />
          </label>
          <button type="submit" className="btn btn-primary">
            Filter
          </button>
        </form>
      </CollapsibleFilters>

      {rows.length === 0 ? (
        <p className="card text-sm">No entries match.</p>
      ) : (
        <ol className="space-y-2" aria-label="Audit entries, newest first">
          {rows.map((row) => (
            <li key={row.id} className="card text-sm">
              <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
                <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${RESULT_TONE[row.result]}`}>{row.result}</span>
                <span className="font-mono font-medium">{row.action}</span>
                {row.target && <span className="break-all">{row.target}</span>}
                <span className="ml-auto text-xs text-slate-500 dark:text-slate-400">
                  <time dateTime={row.at.toISOString()}>{formatDateTime(row.at)}</time>
                </span>
              </div>
              <div className="mt-1 flex flex-wrap gap-x-3 text-xs text-slate-600 dark:text-slate-400">
                <span>by {row.username ?? "anonymous"}</span>
                {row.clientIp && <span>from {row.clientIp}</span>}
                {row.error && <span className="text-red-700 dark:text-red-300">{row.error}</span>}
              </div>
              {row.input && <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all font-mono text-xs text-slate-500">{row.input}</pre>}
            </li>
          ))}
        </ol>
      )}
      {nextBeforeId && (
        <Link href={`/audit?${olderParams}`} className="btn btn-secondary">
          Older entries
        </Link>
      )}
    </div>
  );
}

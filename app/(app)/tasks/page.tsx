import type { Metadata } from "next";
import { Link } from "@/app/_components/link";
import { getTranslations } from "next-intl/server";
import { roleHas } from "@/server/auth/permissions";
import { TASK_KINDS, TASK_STATES, type TaskKind, type TaskState } from "@/server/tasks/kinds";
import { requirePermission, serverApi } from "@/app/_components/page-session";
import { Field, Options } from "@/app/_components/form-fields";
import { CollapsibleFilters } from "@/app/_components/collapsible-filters";
import { TaskList, type TaskFilters } from "./task-list";

export async function generateMetadata(): Promise<Metadata> {
  const t = await getTranslations("tasks");
  return { title: t("pageTitle") };
}
export const dynamic = "force-dynamic";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The URL's filters: values that are not one of the choices are left out (the list then shows everything for them). */
function parseFilters(raw: Record<string, string | undefined>): TaskFilters {
  const filters: TaskFilters = {};
  if ((TASK_STATES as readonly string[]).includes(raw.state ?? "")) filters.state = raw.state as TaskState;
  if ((TASK_KINDS as readonly string[]).includes(raw.kind ?? "")) filters.kind = raw.kind as TaskKind;
  if (raw.hostId && raw.uuid && UUID.test(raw.uuid)) filters.vm = { hostId: raw.hostId, uuid: raw.uuid.toLowerCase() };
  return filters;
}

/** Every task the user may see, running and finished, filtered by the URL; the list stays live (task-list.tsx). */
export default async function TasksPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const user = await requirePermission("task.read");
  const t = await getTranslations("tasks");
  const raw = Object.fromEntries(Object.entries(await searchParams).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
  const filters = parseFilters(raw);
  const tasks = await (await serverApi()).tasks.list({ ...filters, limit: 200 });
  const vmName = filters.vm ? tasks.find((task) => task.targetUuid === filters.vm?.uuid)?.targetName : undefined;
  const filtersSet = [filters.state, filters.kind].filter(Boolean).length;
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">{t("pageTitle")}</h1>
      <CollapsibleFilters label={t("filters.toggle")} active={filtersSet}>
        <form method="get" className="card grid grid-cols-1 gap-3 sm:grid-cols-2 lg:items-start" aria-label={t("filters.formLabel")}>
          {filters.vm && (
            <>
              <input type="hidden" name="hostId" value={filters.vm.hostId} />
              <input type="hidden" name="uuid" value={filters.vm.uuid} />
            </>
          )}
          <Field id="tasks-state" label={t("filters.state")}>
            <select id="tasks-state" name="state" defaultValue={filters.state ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anyState") }, ...TASK_STATES.map((s) => ({ value: s, label: t(`states.${s}`) }))]} />
            </select>
          </Field>
          <Field id="tasks-kind" label={t("filters.kind")}>
            <select id="tasks-kind" name="kind" defaultValue={filters.kind ?? ""} className="input mt-1">
              <Options choices={[{ value: "", label: t("filters.anyKind") }, ...TASK_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))]} />
            </select>
          </Field>
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2">
            <button type="submit" className="btn btn-primary">
              {t("filters.submit")}
            </button>
            <Link href="/tasks" className="btn btn-secondary">
              {t("filters.clear")}
            </Link>
          </div>
        </form>
      </CollapsibleFilters>
      {filters.vm && (
        <p className="card text-sm">
          {t("filters.vmOnly", { name: vmName ?? filters.vm.uuid })}{" "}
          <Link href="/tasks" className="underline">
            {t("filters.clear")}
          </Link>
        </p>
      )}
      <TaskList filters={filters} initial={tasks} userId={user.id} canCancelAny={roleHas(user.role, "task.cancelAny")} />
    </div>
  );
}

"use client";

import { useMemo, useState, type FormEvent } from "react";
import { Link } from "@/app/_components/link";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useLocale, useTranslations } from "next-intl";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { FieldMap } from "@/server/api/error-words";
import {
  BACKUP_SCHEDULE_DEFAULTS,
  SCHEDULE_ACTION_NAMES,
  DEFAULT_SNAPSHOT_PATTERN,
  SHUTDOWN_DEFAULTS,
  type ScheduleActionName,
} from "@/server/automation/options";
import type { ScheduleInput } from "@/server/automation/schemas";
import type { CronProblem } from "@/server/automation/cron";
import { useTRPC } from "@/app/_components/trpc";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { CheckboxField, Field, FieldErrorsContext, Options, SubmitRow, TextField, describedBy } from "@/app/_components/form-fields";

type Outputs = inferRouterOutputs<AppRouter>["schedules"];
type ScheduleItem = Outputs["list"][number];
type RunItem = Outputs["runs"][number];

interface HostChoice {
  id: string;
  name: string;
}
interface VmChoice {
  hostId: string;
  uuid: string;
  name: string;
}

type Translate = ReturnType<typeof useTranslations<"schedules">>;

const RESULT_TONE: Record<RunItem["result"], string> = {
  running: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  ok: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  failed: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  skipped: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
};

/** The browser's own time zone (the page's times are shown in it, and in the schedule's). */
function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Dates in a given zone, in the page's language; before hydration in UTC as the server rendered them. */
function useZoned() {
  const locale = useLocale();
  const f = useFormat();
  const hydrated = useHydrated();
  return useMemo(
    () => ({
      zone: hydrated ? browserZone() : "UTC",
      at: (date: string | null, timeZone?: string) => {
        if (date === null) return "—";
        if (!hydrated) return f.dateTime(date);
        return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone }).format(new Date(date));
      },
    }),
    [locale, f, hydrated],
  );
}

function cronProblemWords(t: Translate, problem: CronProblem): string {
  switch (problem.code) {
    case "fieldCount":
      return t("form.cronProblem.fieldCount", { count: problem.count });
    case "badField":
      return t("form.cronProblem.badField", { field: t(`form.fields.${problem.field}`), value: problem.value });
    default:
      return t(`form.cronProblem.${problem.code}`);
  }
}

function targetWords(t: Translate, s: ScheduleItem): string {
  const target = s.target;
  switch (target.kind) {
    case "vm":
      return t("target.vm", { name: target.vmName ?? target.uuid, host: target.hostId });
    case "tag":
      return target.hostId ? t("target.tagOnHost", { tag: target.tag, host: target.hostId }) : t("target.tag", { tag: target.tag });
    case "host":
      return t("target.host", { host: target.hostId });
  }
}

/** The list (of one host's schedules when the page's filter names it, `hostId`), and for schedule.manage the editor, run now and delete. */
export function SchedulesManager({
  initial,
  canManage,
  hosts,
  vms,
  hostId,
}: {
  initial: ScheduleItem[];
  canManage: boolean;
  hosts: HostChoice[];
  vms: VmChoice[];
  hostId: string | null;
}) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.schedules.list.queryOptions(hostId === null ? {} : { hostId }), initialData: initial });
  const [editing, setEditing] = useState<ScheduleItem | "new" | null>(null);
  const [deleting, setDeleting] = useState<ScheduleItem | null>(null);
  const hydrated = useHydrated();
  return (
    <div className="space-y-4">
      {canManage && editing === null && (
        <button type="button" className="btn btn-primary" disabled={!hydrated} onClick={() => setEditing("new")}>
          {t("new")}
        </button>
      )}
      {canManage && editing !== null && (
        <ScheduleEditor
          key={editing === "new" ? "new" : editing.id}
          schedule={editing === "new" ? null : editing}
          hosts={hosts}
          vms={vms}
          onDone={() => setEditing(null)}
        />
      )}
      {list.data.length === 0 ? (
        <p className="card text-sm">{hostId === null ? t("none") : t("noneOnHost", { host: hostId })}</p>
      ) : (
        <ul className="space-y-2" aria-label={t("listLabel")}>
          {list.data.map((s) => (
            <ScheduleRow key={s.id} schedule={s} canManage={canManage} onEdit={() => setEditing(s)} onDelete={() => setDeleting(s)} />
          ))}
        </ul>
      )}
      {deleting && <DeleteSchedule schedule={deleting} onDone={() => setDeleting(null)} />}
    </div>
  );
}

function ResultBadge({ result }: { result: RunItem["result"] }) {
  const t = useTranslations("schedules");
  return <span className={`rounded px-2 py-0.5 text-xs font-medium ${RESULT_TONE[result]}`}>{t(`results.${result}`)}</span>;
}

function ScheduleRow({ schedule, canManage, onEdit, onDelete }: { schedule: ScheduleItem; canManage: boolean; onEdit: () => void; onDelete: () => void }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const zoned = useZoned();
  const [showHistory, setShowHistory] = useState(false);
  const runNow = useMutation(
    trpc.schedules.runNow.mutationOptions({
      onSuccess: () => {
        toasts.success(`schedule ${schedule.id}`, t("item.runStarted", { name: schedule.name }));
        setShowHistory(true);
        void queryClient.invalidateQueries({ queryKey: trpc.schedules.runs.queryKey({ id: schedule.id }) });
        void queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
      },
    }),
  );
  const historyId = `schedule-${schedule.id}-history`;
  return (
    <li id={`schedule-${schedule.id}`} className="card space-y-2" aria-label={schedule.name}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="font-semibold break-all" translate="no">
          {schedule.name}
        </h2>
        <span className="text-sm">
          {t(`actions.${schedule.action}`)} · {targetWords(t, schedule)}
        </span>
      </div>
      <dl className="grid grid-cols-1 gap-2 text-sm sm:grid-cols-3">
        <div>
          <dt className="text-slate-500 dark:text-slate-400">{t("form.cron")}</dt>
          <dd className="font-mono break-all">{t("item.cron", { cron: schedule.cron, zone: schedule.timeZone })}</dd>
        </div>
        <div>
          <dt className="text-slate-500 dark:text-slate-400">{t("item.nextRun")}</dt>
          <dd>
            {schedule.nextRun ? (
              <>
                {zoned.at(schedule.nextRun)}
                {hydrated && (
                  <span className="block text-xs text-slate-500 dark:text-slate-400">
                    {t("preview.scheduleZone", { zone: schedule.timeZone })}: {zoned.at(schedule.nextRun, schedule.timeZone)}
                  </span>
                )}
              </>
            ) : (
              t("item.nextRunNone")
            )}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500 dark:text-slate-400">{t("item.lastResult")}</dt>
          <dd>{schedule.lastRun ? <ResultBadge result={schedule.lastRun.result} /> : t("item.never")}</dd>
        </div>
      </dl>
      <p className="text-xs text-slate-500 dark:text-slate-400">{t("item.createdBy", { name: schedule.createdByName })}</p>
      {runNow.error && <p className="text-sm font-medium text-red-700 dark:text-red-300">{runNow.error.message}</p>}
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className="btn btn-secondary"
          aria-expanded={showHistory}
          aria-controls={historyId}
          disabled={!hydrated}
          onClick={() => setShowHistory((v) => !v)}
        >
          {showHistory ? t("item.hideHistory") : t("item.history")}
        </button>
        {canManage && (
          <>
            <button type="button" className="btn btn-primary" disabled={!hydrated || runNow.isPending} onClick={() => runNow.mutate({ id: schedule.id })}>
              {runNow.isPending ? t("item.running") : t("item.runNow")}
            </button>
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onEdit}>
              {t("item.edit")}
            </button>
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDelete}>
              {t("item.delete")}
            </button>
          </>
        )}
      </div>
      {showHistory && <RunHistory id={historyId} schedule={schedule} />}
    </li>
  );
}

/** While a run goes on its row is read again every few seconds, until it has ended; otherwise once. */
const RUNNING_REFRESH_MS = 2000;

function RunHistory({ id, schedule }: { id: string; schedule: ScheduleItem }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const zoned = useZoned();
  const runs = useQuery({
    ...trpc.schedules.runs.queryOptions({ id: schedule.id, limit: 20 }),
    refetchInterval: (query) => {
      const running = query.state.data?.some((r) => r.result === "running");
      if (!running && query.state.data) void queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
      return running ? RUNNING_REFRESH_MS : false;
    },
  });
  return (
    <section
      id={id}
      aria-label={t("history.label", { name: schedule.name })}
      aria-live="polite"
      className="rounded-md bg-slate-50 p-3 text-sm dark:bg-slate-800/60"
    >
      {!runs.data ? (
        <p>{t("preview.loading")}</p>
      ) : runs.data.length === 0 ? (
        <p>{t("history.none")}</p>
      ) : (
        <ol className="space-y-2">
          {runs.data.map((run) => (
            <li key={run.id} className="space-y-1" data-testid="schedule-run">
              <p className="flex flex-wrap items-center gap-2">
                <ResultBadge result={run.result} />
                <span>{run.trigger === "manual" ? t("triggers.manual", { name: run.byUser ?? "—" }) : t(`triggers.${run.trigger}`)}</span>
                <span className="text-slate-500 dark:text-slate-400">
                  {t("history.started")} {zoned.at(run.startedAt)}
                  {run.endedAt && (
                    <>
                      {" · "}
                      {t("history.ended")} {zoned.at(run.endedAt)}
                    </>
                  )}
                </span>
              </p>
              {run.error && <p className="text-red-700 dark:text-red-300">{run.error}</p>}
              {run.result !== "skipped" && run.result !== "running" && run.outcomes.length === 0 && !run.error && <p>{t("history.noVm")}</p>}
              {run.outcomes.length > 0 && (
                <ul className="list-inside list-disc">
                  {run.outcomes.map((o, i) => (
                    <li key={i} className={o.ok ? "" : "text-red-700 dark:text-red-300"}>
                      {o.name ? t("history.vmLine", { name: o.name, host: o.hostId, message: o.message }) : o.message}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function DeleteSchedule({ schedule, onDone }: { schedule: ScheduleItem; onDone: () => void }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const remove = useMutation(
    trpc.schedules.delete.mutationOptions({
      onSuccess: () => {
        toasts.success(`schedule ${schedule.id}`, t("deleted", { name: schedule.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
        onDone();
      },
    }),
  );
  return (
    <ConfirmDelete
      what={t("deleteWhat", { name: schedule.name })}
      confirmLabel={t("item.delete")}
      mutation={remove}
      onCancel={onDone}
      onConfirm={() => remove.mutate({ id: schedule.id })}
    >
      <p>{t("deleteBody")}</p>
    </ConfirmDelete>
  );
}

interface Draft {
  name: string;
  targetKind: "vm" | "tag" | "host";
  vm: string;
  tag: string;
  hostId: string;
  action: ScheduleActionName;
  timeoutSeconds: string;
  forceOff: boolean;
  memory: boolean;
  namePattern: string;
  keepLast: string;
  backupPool: string;
  backupDaily: string;
  backupWeekly: string;
  backupMonthly: string;
  cron: string;
  timeZone: string;
  missedPolicy: "skip" | "runOnce";
  enabled: boolean;
}

function draftOf(s: ScheduleItem | null): Draft {
  const o = (s?.options ?? {}) as Record<string, unknown>;
  const target = s?.target;
  return {
    name: s?.name ?? "",
    targetKind: target?.kind ?? "vm",
    vm: target?.kind === "vm" ? `${target.hostId}/${target.uuid}` : "",
    tag: target?.kind === "tag" ? target.tag : "",
    hostId: target?.kind === "host" ? target.hostId : "",
    action: s?.action ?? "snapshot",
    timeoutSeconds: String(o.timeoutSeconds ?? SHUTDOWN_DEFAULTS.timeoutSeconds),
    forceOff: (o.forceOff as boolean | undefined) ?? SHUTDOWN_DEFAULTS.forceOff,
    memory: (o.memory as boolean | undefined) ?? false,
    namePattern: (o.namePattern as string | undefined) ?? DEFAULT_SNAPSHOT_PATTERN,
    keepLast: String(o.keepLast ?? 7),
    backupPool: (o.pool as string | null | undefined) ?? "",
    backupDaily: String(o.daily ?? BACKUP_SCHEDULE_DEFAULTS.daily),
    backupWeekly: String(o.weekly ?? BACKUP_SCHEDULE_DEFAULTS.weekly),
    backupMonthly: String(o.monthly ?? BACKUP_SCHEDULE_DEFAULTS.monthly),
    cron: s?.cron ?? "0 3 * * *",
    timeZone: s?.timeZone ?? browserZone(),
    missedPolicy: s?.missedPolicy ?? "skip",
    enabled: s?.enabled ?? true,
  };
}

function inputOf(d: Draft): ScheduleInput {
  const [hostId = "", uuid = ""] = d.vm.split("/");
  const target: ScheduleInput["target"] =
    d.targetKind === "vm"
      ? { kind: "vm", hostId, uuid }
      : d.targetKind === "tag"
        ? { kind: "tag", tag: d.tag.trim(), hostId: null }
        : { kind: "host", hostId: d.hostId };
  const base = { name: d.name.trim(), target, cron: d.cron, timeZone: d.timeZone.trim(), missedPolicy: d.missedPolicy, enabled: d.enabled };
  switch (d.action) {
    case "shutdown":
      return { ...base, action: "shutdown", options: { timeoutSeconds: Number(d.timeoutSeconds), forceOff: d.forceOff } };
    case "snapshot":
      return { ...base, action: "snapshot", options: { memory: d.memory, namePattern: d.namePattern.trim(), keepLast: Number(d.keepLast) } };
    case "backup":
      return {
        ...base,
        action: "backup",
        options: {
          pool: d.backupPool || null,
          keepLast: Number(d.keepLast),
          daily: Number(d.backupDaily),
          weekly: Number(d.backupWeekly),
          monthly: Number(d.backupMonthly),
        },
      };
    case "start":
    case "reboot":
      return { ...base, action: d.action, options: {} };
  }
}

/** A backup schedule's target pool (the backup targets the user may see) and which of its backups to keep. */
function BackupFields({ draft, set }: { draft: Draft; set: <K extends keyof Draft>(key: K, value: Draft[K]) => void }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const targets = useQuery(trpc.backups.targets.queryOptions());
  const pools = [...new Set((targets.data ?? []).map((target) => target.pool))].sort();
  return (
    <>
      <Field id="schedule-backup-pool" label={t("form.backupPool")}>
        <select id="schedule-backup-pool" className="input mt-1" value={draft.backupPool} onChange={(e) => set("backupPool", e.target.value)}>
          <Options choices={[{ value: "", label: t("form.backupPoolDefault") }, ...pools.map((pool) => ({ value: pool, label: pool }))]} />
        </select>
      </Field>
      <TextField
        id="schedule-keep"
        label={t("form.backupKeepLast")}
        hint={t("form.backupKeepLastHint")}
        inputMode="numeric"
        value={draft.keepLast}
        onChange={(e) => set("keepLast", e.target.value)}
      />
      <TextField
        id="schedule-backup-daily"
        label={t("form.backupDaily")}
        inputMode="numeric"
        value={draft.backupDaily}
        onChange={(e) => set("backupDaily", e.target.value)}
      />
      <TextField
        id="schedule-backup-weekly"
        label={t("form.backupWeekly")}
        inputMode="numeric"
        value={draft.backupWeekly}
        onChange={(e) => set("backupWeekly", e.target.value)}
      />
      <TextField
        id="schedule-backup-monthly"
        label={t("form.backupMonthly")}
        inputMode="numeric"
        value={draft.backupMonthly}
        onChange={(e) => set("backupMonthly", e.target.value)}
      />
    </>
  );
}

function scheduleFields(t: Translate): FieldMap {
  return {
    name: { id: "schedule-name", label: t("form.name") },
    target: { id: "schedule-target", label: t("form.targetKind") },
    "target.uuid": { id: "schedule-vm", label: t("form.vm") },
    "target.hostId": { id: "schedule-target", label: t("form.host") },
    "target.tag": { id: "schedule-tag", label: t("form.tag") },
    "options.timeoutSeconds": { id: "schedule-timeout", label: t("form.timeout") },
    "options.namePattern": { id: "schedule-pattern", label: t("form.namePattern") },
    "options.keepLast": { id: "schedule-keep", label: t("form.keepLast") },
    "options.pool": { id: "schedule-backup-pool", label: t("form.backupPool") },
    "options.daily": { id: "schedule-backup-daily", label: t("form.backupDaily") },
    "options.weekly": { id: "schedule-backup-weekly", label: t("form.backupWeekly") },
    "options.monthly": { id: "schedule-backup-monthly", label: t("form.backupMonthly") },
    cron: { id: "schedule-cron", label: t("form.cron") },
    timeZone: { id: "schedule-zone", label: t("form.timeZone") },
  };
}

function ScheduleEditor({ schedule, hosts, vms, onDone }: { schedule: ScheduleItem | null; hosts: HostChoice[]; vms: VmChoice[]; onDone: () => void }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const [draft, setDraft] = useState<Draft>(() => draftOf(schedule));
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const saved = (made: { id: number; name: string }) => {
    toasts.success(`schedule ${made.id}`, t(schedule ? "form.saved" : "form.created", { name: made.name }));
    void queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey() });
    onDone();
  };
  const create = useMutation(trpc.schedules.create.mutationOptions({ onSuccess: saved }));
  const update = useMutation(trpc.schedules.update.mutationOptions({ onSuccess: saved }));
  const mutation = schedule ? update : create;
  const fields = useMemo(() => scheduleFields(t), [t]);
  const errors = useFieldErrors(mutation.error, fields);
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions({ cron: draft.cron, timeZone: draft.timeZone.trim() }),
    placeholderData: keepPreviousData,
  });
  // The cron and time zone are judged as they are typed, in words beside their fields.
  const cronError = preview.data?.problem ? cronProblemWords(t, preview.data.problem) : null;
  const zoneError = preview.data && !preview.data.timeZoneValid ? t("form.timeZoneInvalid") : null;

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!draft.name.trim()) found["schedule-name"] = t("form.required");
    if (draft.targetKind === "vm" && !draft.vm) found["schedule-vm"] = t("form.required");
    if (draft.targetKind === "tag" && !draft.tag.trim()) found["schedule-tag"] = t("form.required");
    if (draft.targetKind === "host" && !draft.hostId) found["schedule-host"] = t("form.required");
    if (cronError) found["schedule-cron"] = cronError;
    if (zoneError) found["schedule-zone"] = zoneError;
    if (!errors.check(found)) return;
    const input = inputOf(draft);
    if (schedule) update.mutate({ id: schedule.id, schedule: input });
    else create.mutate(input);
  }

  return (
    <section className="card space-y-3" aria-labelledby="schedule-editor-title">
      <h2 id="schedule-editor-title" className="text-lg font-semibold">
        {schedule ? t("form.editTitle", { name: schedule.name }) : t("form.createTitle")}
      </h2>
      <FieldErrorsContext value={errors.byField}>
        <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField
            id="schedule-name"
            label={t("form.name")}
            hint={t("form.nameHint")}
            value={draft.name}
            onChange={(e) => set("name", e.target.value)}
            maxLength={64}
            autoComplete="off"
          />
          <Field id="schedule-target" label={t("form.targetKind")}>
            <select
              id="schedule-target"
              className="input mt-1"
              value={draft.targetKind}
              onChange={(e) => set("targetKind", e.target.value as Draft["targetKind"])}
            >
              <Options
                choices={[
                  { value: "vm", label: t("form.targetVm") },
                  { value: "tag", label: t("form.targetTag") },
                  { value: "host", label: t("form.targetHost") },
                ]}
              />
            </select>
          </Field>
          {draft.targetKind === "vm" && (
            <Field id="schedule-vm" label={t("form.vm")}>
              <select
                id="schedule-vm"
                className="input mt-1"
                value={draft.vm}
                onChange={(e) => set("vm", e.target.value)}
                {...describedBy("schedule-vm", false, errors.byField["schedule-vm"] ?? null)}
              >
                <Options
                  choices={[
                    { value: "", label: t("form.chooseVm") },
                    ...vms.map((vm) => ({ value: `${vm.hostId}/${vm.uuid}`, label: hosts.length > 1 ? `${vm.name} (${vm.hostId})` : vm.name })),
                  ]}
                />
              </select>
            </Field>
          )}
          {draft.targetKind === "tag" && (
            <TextField
              id="schedule-tag"
              label={t("form.tag")}
              value={draft.tag}
              onChange={(e) => set("tag", e.target.value)}
              maxLength={32}
              autoComplete="off"
            />
          )}
          {draft.targetKind === "host" && (
            <Field id="schedule-host" label={t("form.host")}>
              <select id="schedule-host" className="input mt-1" value={draft.hostId} onChange={(e) => set("hostId", e.target.value)}>
                <Options choices={[{ value: "", label: t("form.chooseHost") }, ...hosts.map((h) => ({ value: h.id, label: `${h.name} (${h.id})` }))]} />
              </select>
            </Field>
          )}
          <Field id="schedule-action" label={t("form.action")}>
            <select id="schedule-action" className="input mt-1" value={draft.action} onChange={(e) => set("action", e.target.value as ScheduleActionName)}>
              <Options choices={SCHEDULE_ACTION_NAMES.map((a) => ({ value: a, label: t(`actions.${a}`) }))} />
            </select>
          </Field>
          {draft.action === "shutdown" && (
            <>
              <TextField
                id="schedule-timeout"
                label={t("form.timeout")}
                inputMode="numeric"
                value={draft.timeoutSeconds}
                onChange={(e) => set("timeoutSeconds", e.target.value)}
              />
              <CheckboxField id="schedule-force" label={t("form.forceOff")} checked={draft.forceOff} onChange={(e) => set("forceOff", e.target.checked)} />
            </>
          )}
          {draft.action === "snapshot" && (
            <>
              <TextField
                id="schedule-pattern"
                label={t("form.namePattern")}
                hint={t("form.namePatternHint")}
                value={draft.namePattern}
                onChange={(e) => set("namePattern", e.target.value)}
                maxLength={64}
                mono
                autoComplete="off"
              />
              <TextField
                id="schedule-keep"
                label={t("form.keepLast")}
                hint={t("form.keepLastHint")}
                inputMode="numeric"
                value={draft.keepLast}
                onChange={(e) => set("keepLast", e.target.value)}
              />
              <CheckboxField id="schedule-memory" label={t("form.memory")} checked={draft.memory} onChange={(e) => set("memory", e.target.checked)} />
            </>
          )}
          {draft.action === "backup" && <BackupFields draft={draft} set={set} />}
          <TextField
            id="schedule-cron"
            label={t("form.cron")}
            hint={t("form.cronHint")}
            error={cronError}
            value={draft.cron}
            onChange={(e) => set("cron", e.target.value)}
            maxLength={200}
            mono
            autoComplete="off"
            spellCheck={false}
          />
          <TextField
            id="schedule-zone"
            label={t("form.timeZone")}
            hint={t("form.timeZoneHint")}
            error={zoneError}
            value={draft.timeZone}
            onChange={(e) => set("timeZone", e.target.value)}
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
          />
          <Field id="schedule-missed" label={t("form.missedPolicy")}>
            <select
              id="schedule-missed"
              className="input mt-1"
              value={draft.missedPolicy}
              onChange={(e) => set("missedPolicy", e.target.value as Draft["missedPolicy"])}
            >
              <Options
                choices={[
                  { value: "skip", label: t("form.missedSkip") },
                  { value: "runOnce", label: t("form.missedRunOnce") },
                ]}
              />
            </select>
          </Field>
          <CheckboxField id="schedule-enabled" label={t("form.enabled")} checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          <CronPreview next={preview.data?.next ?? null} problem={!!cronError || !!zoneError} timeZone={draft.timeZone.trim()} />
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2">
            <SubmitRow
              label={schedule ? t("form.save") : t("form.create")}
              pendingLabel={schedule ? t("form.saving") : t("form.creating")}
              pending={mutation.isPending}
              error={errors.form}
            />
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDone}>
              {t("form.cancel")}
            </button>
          </div>
        </form>
      </FieldErrorsContext>
    </section>
  );
}

/** The next five runs the server computed, in the reader's time and in the schedule's. */
function CronPreview({ next, problem, timeZone }: { next: string[] | null; problem: boolean; timeZone: string }) {
  const t = useTranslations("schedules");
  const zoned = useZoned();
  return (
    <section
      className="rounded-md bg-slate-50 p-3 text-sm sm:col-span-2 dark:bg-slate-800/60"
      aria-live="polite"
      aria-labelledby="schedule-preview-title"
      data-testid="schedule-preview"
    >
      <h3 id="schedule-preview-title" className="font-medium">
        {t("preview.title")}
      </h3>
      {problem || (next && next.length === 0) ? (
        <p>{t("preview.none")}</p>
      ) : !next ? (
        <p>{t("preview.loading")}</p>
      ) : (
        <table className="mt-1 w-full text-left">
          <thead>
            <tr>
              <th scope="col" className="pr-2 font-normal text-slate-500 dark:text-slate-400">
                {t("preview.yourZone", { zone: zoned.zone })}
              </th>
              <th scope="col" className="font-normal text-slate-500 dark:text-slate-400">
                {t("preview.scheduleZone", { zone: timeZone })}
              </th>
            </tr>
          </thead>
          <tbody>
            {next.map((at) => (
              <tr key={String(at)} data-testid="schedule-preview-time">
                <td className="pr-2">{zoned.at(at)}</td>
                <td>{zoned.at(at, timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The per-host limit of VMs acted on at once (settings.manage). */
export function HostConcurrencyForm({ initial }: { initial: number }) {
  const t = useTranslations("schedules");
  const trpc = useTRPC();
  const [value, setValue] = useState(String(initial));
  const save = useMutation(trpc.schedules.setHostConcurrency.mutationOptions());
  const fields = useMemo<FieldMap>(() => ({ limit: { id: "schedule-limit", label: t("limit.label") } }), [t]);
  const errors = useFieldErrors(save.error, fields);
  return (
    <section className="card space-y-3" aria-labelledby="schedule-limit-title">
      <h2 id="schedule-limit-title" className="text-lg font-semibold">
        {t("limit.title")}
      </h2>
      <FieldErrorsContext value={errors.byField}>
        <form
          ref={errors.formRef}
          noValidate
          className="flex flex-wrap items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ limit: Number(value) });
          }}
        >
          <TextField
            id="schedule-limit"
            label={t("limit.label")}
            inputMode="numeric"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            className="max-w-md"
          />
          <SubmitRow
            label={t("limit.save")}
            pendingLabel={t("limit.saving")}
            pending={save.isPending}
            error={errors.form}
            success={save.isSuccess ? t("limit.saved") : null}
          />
        </form>
      </FieldErrorsContext>
    </section>
  );
}

/** Links a schedule from elsewhere (the VM overview's line). */
export function ScheduleLink({ id, children }: { id: number; children: React.ReactNode }) {
  return (
    <Link href={`/schedules#schedule-${id}`} className="inline-block min-h-11 py-2.5 underline">
      {children}
    </Link>
  );
}

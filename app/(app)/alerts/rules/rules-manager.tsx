"use client";

import { useMemo, useState, type FormEvent } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import { METRIC_KEYS, METRICS } from "@/server/metrics/sample";
import { ALERT_COMPARISONS, ALERT_SEVERITIES } from "@/server/alerts/kinds";
import { DERIVED_METRICS, EVENT_KINDS, isEventKind, subjectOf, type AlertMetric, type AlertRule } from "@/server/alerts/rules";
import { TAG_PATTERN } from "@/server/identifiers";
import type { FieldMap } from "@/server/api/error-words";
import { useTRPC } from "@/app/_components/trpc";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { useFieldErrors } from "@/app/_components/use-field-errors";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { CheckboxField, Field, FieldErrorsContext, Options, SubmitRow, TextField, describedBy } from "@/app/_components/form-fields";
import { durationParts, formatValue, metricWordKey, thresholdUnit } from "../alert-words";
import { SEVERITY_TONE } from "../alert-list";
import { RuleChannels } from "./rule-channels";
import { draftFromRule, draftScope, EMPTY_DRAFT, FOR_UNITS, ruleFromDraft, scopeKindsFor, type ForUnit, type RuleDraft } from "./rule-draft";

interface HostChoice {
  id: string;
  name: string;
}
interface VmChoice {
  hostId: string;
  uuid: string;
  name: string;
}

/** Metrics a rule may watch, grouped as the select shows them: a VM's figures, a host's, then events. */
const DERIVED = Object.keys(DERIVED_METRICS) as (keyof typeof DERIVED_METRICS)[];
const METRIC_GROUPS = [
  { group: "vm", metrics: [...METRIC_KEYS.filter((m) => METRICS[m].subject === "vm"), ...DERIVED.filter((m) => DERIVED_METRICS[m].subject === "vm")] },
  { group: "host", metrics: [...METRIC_KEYS.filter((m) => METRICS[m].subject === "host"), ...DERIVED.filter((m) => DERIVED_METRICS[m].subject === "host")] },
  { group: "events", metrics: [...EVENT_KINDS] },
] as const;

/** Where the server's refusals of a rule show: input path → control, labelled as the form labels it. */
function ruleFields(t: ReturnType<typeof useTranslations<"alerts">>): FieldMap {
  return {
    name: { id: "rule-name", label: t("rules.form.name") },
    metric: { id: "rule-metric", label: t("rules.form.metric") },
    scope: { id: "rule-scope", label: t("rules.form.scope") },
    "scope.hostId": { id: "rule-scope", label: t("rules.form.host") },
    "scope.tag": { id: "rule-scope", label: t("rules.form.tag") },
    "scope.uuid": { id: "rule-scope", label: t("rules.form.vm") },
    threshold: { id: "rule-threshold", label: t("rules.form.thresholdPlain") },
    resolveThreshold: { id: "rule-resolve", label: t("rules.form.resolvePlain") },
    forMs: { id: "rule-for", label: t("rules.form.forValue") },
    severity: { id: "rule-severity", label: t("rules.form.severity") },
  };
}
const SCOPE_WORDS = { all: "rules.form.scopeAll", host: "rules.form.scopeHost", tag: "rules.form.scopeTag", vm: "rules.form.scopeVm" } as const;
const FIELD_OF_PROBLEM = {
  name: "rule-name",
  scope: "rule-scope",
  threshold: "rule-threshold",
  resolveThreshold: "rule-resolve",
  forValue: "rule-for",
} as const;

/** The rule list with its enable toggles, and for alert.manage the editor and delete. */
export function RulesManager({ initial, canManage, hosts, vms }: { initial: AlertRule[]; canManage: boolean; hosts: HostChoice[]; vms: VmChoice[] }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const rules = useQuery({ ...trpc.alerts.rules.queryOptions(), initialData: initial });
  const [editing, setEditing] = useState<AlertRule | "new" | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const hydrated = useHydrated();
  return (
    <div className="space-y-4">
      {canManage && editing === null && (
        <button type="button" className="btn btn-primary" disabled={!hydrated} onClick={() => setEditing("new")}>
          {t("rules.new")}
        </button>
      )}
      {canManage && editing !== null && (
        <RuleEditor
          key={editing === "new" ? "new" : editing.id}
          rule={editing === "new" ? null : editing}
          hosts={hosts}
          vms={vms}
          onDone={() => setEditing(null)}
        />
      )}
      {rules.data.length === 0 ? (
        <p className="card text-sm">{t("rules.none")}</p>
      ) : (
        <ul className="space-y-2" aria-label={t("rules.label")}>
          {rules.data.map((rule) => (
            <RuleItem key={rule.id} rule={rule} canManage={canManage} vms={vms} onEdit={() => setEditing(rule)} onDelete={() => setDeleting(rule)} />
          ))}
        </ul>
      )}
      {deleting && <DeleteRule rule={deleting} onDone={() => setDeleting(null)} />}
    </div>
  );
}

function useRuleWords() {
  const t = useTranslations("alerts");
  const format = useFormat();
  return {
    summary(rule: AlertRule) {
      const d = durationParts(rule.forMs);
      const duration = t(`duration.${d.unit}`, { count: d.count });
      const metric = t(`metrics.${metricWordKey(rule.metric)}`);
      if (isEventKind(rule.metric)) return t("rules.summaryEvent", { metric, duration });
      return `${t("rules.summary", { metric, comparison: t(`comparison.${rule.comparison}`), threshold: formatValue(rule.metric, rule.threshold, format), duration })} · ${t("rules.resolvesAt", { value: formatValue(rule.metric, rule.resolveThreshold, format) })}`;
    },
    scope(rule: AlertRule, vms: readonly VmChoice[]) {
      const scope = rule.scope;
      switch (scope.kind) {
        case "all":
          return subjectOf(rule.metric) === "host" ? t("rules.scopeAllHosts") : t("rules.scopeAll");
        case "host":
          return t("rules.scopeHost", { host: scope.hostId });
        case "tag":
          return t("rules.scopeTag", { tag: scope.tag });
        case "vm":
          return t("rules.scopeVm", { vm: vms.find((vm) => vm.uuid === scope.uuid)?.name ?? scope.uuid });
      }
    },
  };
}

function RuleItem({
  rule,
  canManage,
  vms,
  onEdit,
  onDelete,
}: {
  rule: AlertRule;
  canManage: boolean;
  vms: VmChoice[];
  onEdit: () => void;
  onDelete: () => void;
}) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const words = useRuleWords();
  // What the user asked for, shown from the click on: the mutation's pending state reaches the
  // render a tick later, and in between the controlled box sprang back to the stored value.
  const [asked, setAsked] = useState<boolean | null>(null);
  const enable = useMutation(
    trpc.alerts.enableRule.mutationOptions({
      onSuccess: (saved) => {
        // The answer is the stored rule: the list holds it before the box lets go of `asked`, so it does not flicker back.
        queryClient.setQueryData(trpc.alerts.rules.queryKey(), (rules) => rules?.map((r) => (r.id === saved.id ? saved : r)));
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
      },
      onError: (error) => toasts.error(`rule ${rule.id}`, error.message),
      onSettled: () => setAsked(null),
    }),
  );
  return (
    <li className="card text-sm" data-testid="alert-rule">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${SEVERITY_TONE[rule.severity]}`}>{t(`severity.${rule.severity}`)}</span>
        <span className="font-medium" translate="no">
          {rule.name}
        </span>
        <span className="text-slate-600 dark:text-slate-400">{words.scope(rule, vms)}</span>
      </div>
      <p className="mt-1 text-slate-700 dark:text-slate-300">{words.summary(rule)}</p>
      <div className="mt-1 flex flex-wrap items-center gap-2">
        <CheckboxField
          id={`rule-enabled-${rule.id}`}
          label={
            <>
              {t("rules.enabled")}{" "}
              <span className="sr-only" translate="no">
                ({rule.name})
              </span>
            </>
          }
          checked={asked ?? rule.enabled}
          disabled={!canManage || !hydrated || enable.isPending}
          onChange={(e) => {
            setAsked(e.target.checked);
            enable.mutate({ id: rule.id, enabled: e.target.checked });
          }}
        />
        {canManage && (
          <>
            <button type="button" className="btn btn-secondary ml-auto" disabled={!hydrated} onClick={onEdit}>
              {t("rules.edit")}
            </button>
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDelete}>
              {t("rules.delete")}
            </button>
          </>
        )}
      </div>
      {canManage && <RuleChannels ruleId={rule.id} ruleName={rule.name} />}
    </li>
  );
}

function DeleteRule({ rule, onDone }: { rule: AlertRule; onDone: () => void }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const remove = useMutation(
    trpc.alerts.deleteRule.mutationOptions({
      onSuccess: () => {
        toasts.success(`rule ${rule.id}`, t("rules.deleted", { name: rule.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("rules.deleteTitle", { name: rule.name })}
      confirmLabel={t("rules.delete")}
      mutation={remove}
      onCancel={onDone}
      onConfirm={() => remove.mutate({ id: rule.id })}
    >
      <p>{t("rules.deleteBody")}</p>
    </ConfirmDialog>
  );
}

function RuleEditor({ rule, hosts, vms, onDone }: { rule: AlertRule | null; hosts: HostChoice[]; vms: VmChoice[]; onDone: () => void }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const hydrated = useHydrated();
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? draftFromRule(rule) : EMPTY_DRAFT));
  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const saved = (made: AlertRule) => {
    toasts.success(`rule ${made.id}`, t(rule ? "rules.saved" : "rules.created", { name: made.name }));
    void queryClient.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() });
    onDone();
  };
  const create = useMutation(trpc.alerts.createRule.mutationOptions({ onSuccess: saved }));
  const update = useMutation(trpc.alerts.updateRule.mutationOptions({ onSuccess: saved }));
  const mutation = rule ? update : create;
  const fields = useMemo(() => ruleFields(t), [t]);
  const errors = useFieldErrors(mutation.error, fields);
  const event = isEventKind(draft.metric);
  const unit = thresholdUnit(draft.metric);
  const kinds = scopeKindsFor(draft.metric);

  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const result = ruleFromDraft(draft);
    if ("problems" in result) {
      errors.check(
        Object.fromEntries(
          Object.entries(result.problems).map(([field, problem]) => [FIELD_OF_PROBLEM[field as keyof typeof FIELD_OF_PROBLEM], t(`rules.form.${problem}`)]),
        ),
      );
      return;
    }
    errors.check({});
    if (rule) update.mutate({ id: rule.id, rule: result.rule });
    else create.mutate(result.rule);
  }

  function onMetric(metric: AlertMetric) {
    // A host metric cannot keep a tag or VM scope; the form moves to "everywhere" rather than send what the server refuses.
    setDraft((d) => ({ ...d, metric, scopeKind: scopeKindsFor(metric).includes(d.scopeKind) ? d.scopeKind : "all" }));
  }

  const scopeError = errors.byField["rule-scope"];
  return (
    <section className="card space-y-3" aria-labelledby="rule-editor-title">
      <h2 id="rule-editor-title" className="text-lg font-semibold">
        {rule ? t("rules.form.editTitle", { name: rule.name }) : t("rules.form.createTitle")}
      </h2>
      <FieldErrorsContext value={errors.byField}>
        <form ref={errors.formRef} onSubmit={onSubmit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <TextField
            id="rule-name"
            label={t("rules.form.name")}
            value={draft.name}
            onChange={(e) => set("name", e.target.value)}
            maxLength={100}
            autoComplete="off"
          />
          <Field id="rule-metric" label={t("rules.form.metric")}>
            <select
              id="rule-metric"
              className="input mt-1"
              value={draft.metric}
              onChange={(e) => onMetric(e.target.value as AlertMetric)}
              {...describedBy("rule-metric", false, errors.byField["rule-metric"] ?? null)}
            >
              {METRIC_GROUPS.map(({ group, metrics }) => (
                <optgroup key={group} label={t(`metricGroups.${group}`)}>
                  <Options choices={metrics.map((m) => ({ value: m, label: t(`metrics.${metricWordKey(m)}`) }))} />
                </optgroup>
              ))}
            </select>
          </Field>
          <Field id="rule-scope" label={t("rules.form.scope")} error={scopeError}>
            <select
              id="rule-scope"
              className="input mt-1"
              value={draft.scopeKind}
              onChange={(e) => set("scopeKind", e.target.value as RuleDraft["scopeKind"])}
              {...describedBy("rule-scope", false, scopeError ?? null)}
            >
              <Options choices={kinds.map((k) => ({ value: k, label: t(SCOPE_WORDS[k]) }))} />
            </select>
          </Field>
          {draft.scopeKind === "host" && (
            <Field id="rule-host" label={t("rules.form.host")}>
              <select id="rule-host" className="input mt-1" value={draft.hostId} onChange={(e) => set("hostId", e.target.value)}>
                <Options choices={[{ value: "", label: "—" }, ...hosts.map((h) => ({ value: h.id, label: `${h.name} (${h.id})` }))]} />
              </select>
            </Field>
          )}
          {draft.scopeKind === "tag" && (
            <TextField
              id="rule-tag"
              label={t("rules.form.tag")}
              value={draft.tag}
              onChange={(e) => set("tag", e.target.value)}
              maxLength={32}
              autoComplete="off"
            />
          )}
          {draft.scopeKind === "vm" && (
            <Field id="rule-vm" label={t("rules.form.vm")}>
              <select id="rule-vm" className="input mt-1" value={draft.vm} onChange={(e) => set("vm", e.target.value)}>
                <Options
                  choices={[
                    { value: "", label: t("rules.form.chooseVm") },
                    ...vms.map((vm) => ({ value: `${vm.hostId}/${vm.uuid}`, label: hosts.length > 1 ? `${vm.name} (${vm.hostId})` : vm.name })),
                  ]}
                />
              </select>
            </Field>
          )}
          {!event && unit && (
            <>
              <Field id="rule-comparison" label={t("rules.form.comparison")}>
                <select
                  id="rule-comparison"
                  className="input mt-1"
                  value={draft.comparison}
                  onChange={(e) => set("comparison", e.target.value as RuleDraft["comparison"])}
                >
                  <Options choices={ALERT_COMPARISONS.map((c) => ({ value: c, label: t(`comparison.${c}`) }))} />
                </select>
              </Field>
              <TextField
                id="rule-threshold"
                label={t("rules.form.threshold", { unit: t(`units.${unit.unit}`) })}
                inputMode="decimal"
                value={draft.threshold}
                onChange={(e) => set("threshold", e.target.value)}
              />
              <TextField
                id="rule-resolve"
                label={t("rules.form.resolveThreshold", { unit: t(`units.${unit.unit}`) })}
                hint={t("rules.form.resolveHint")}
                inputMode="decimal"
                value={draft.resolveThreshold}
                onChange={(e) => set("resolveThreshold", e.target.value)}
              />
            </>
          )}
          <div className="grid grid-cols-2 gap-2">
            <TextField
              id="rule-for"
              label={t("rules.form.forValue")}
              hint={t("rules.form.forHintEvent")}
              inputMode="decimal"
              value={draft.forValue}
              onChange={(e) => set("forValue", e.target.value)}
            />
            <Field id="rule-for-unit" label={t("rules.form.forUnit")}>
              <select id="rule-for-unit" className="input mt-1" value={draft.forUnit} onChange={(e) => set("forUnit", e.target.value as ForUnit)}>
                <Options choices={(Object.keys(FOR_UNITS) as ForUnit[]).map((u) => ({ value: u, label: t(`rules.form.${u}`) }))} />
              </select>
            </Field>
          </div>
          <Field id="rule-severity" label={t("rules.form.severity")}>
            <select id="rule-severity" className="input mt-1" value={draft.severity} onChange={(e) => set("severity", e.target.value as RuleDraft["severity"])}>
              <Options choices={ALERT_SEVERITIES.map((s) => ({ value: s, label: t(`severity.${s}`) }))} />
            </select>
          </Field>
          <CheckboxField id="rule-enabled" label={t("rules.form.enabled")} checked={draft.enabled} onChange={(e) => set("enabled", e.target.checked)} />
          <ScopePreview draft={draft} hosts={hosts} />
          <div className="flex flex-wrap items-end gap-2 sm:col-span-2">
            <SubmitRow
              label={rule ? t("rules.form.save") : t("rules.form.create")}
              pendingLabel={rule ? t("rules.form.saving") : t("rules.form.creating")}
              pending={mutation.isPending}
              error={errors.form}
            />
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDone}>
              {t("rules.form.cancel")}
            </button>
          </div>
        </form>
      </FieldErrorsContext>
    </section>
  );
}

/** The most VM names the preview lists; the rest are counted. */
const PREVIEW_NAMES = 20;

/** Which VMs the scope matches now (alerts.previewScope), or for a host rule, which hosts. */
function ScopePreview({ draft, hosts }: { draft: RuleDraft; hosts: HostChoice[] }) {
  const t = useTranslations("alerts");
  const trpc = useTRPC();
  const scope = draftScope(draft);
  const forHosts = subjectOf(draft.metric) === "host";
  const askable = !!scope && !forHosts && (scope.kind !== "tag" || TAG_PATTERN.test(scope.tag));
  const preview = useQuery({
    ...trpc.alerts.previewScope.queryOptions(scope ?? { kind: "all" }),
    enabled: askable,
    placeholderData: keepPreviousData,
  });
  let body: React.ReactNode;
  if (forHosts) {
    const names = scope?.kind === "host" ? [scope.hostId] : hosts.map((h) => h.id);
    body = (
      <>
        <p>{t("rules.preview.hosts")}</p>
        <p translate="no">{names.join(", ")}</p>
      </>
    );
  } else if (!askable) body = <p>—</p>;
  else if (!preview.data) body = <p>{t("rules.preview.loading")}</p>;
  else {
    const { vms, unreachable } = preview.data;
    body = (
      <>
        <p className="font-medium">{t("rules.preview.count", { count: vms.length })}</p>
        {vms.length > 0 && (
          <p translate="no">
            {vms
              .slice(0, PREVIEW_NAMES)
              .map((vm) => vm.name)
              .join(", ")}
            {vms.length > PREVIEW_NAMES && <> {t("rules.preview.more", { count: vms.length - PREVIEW_NAMES })}</>}
          </p>
        )}
        {unreachable.map((host) => (
          <p key={host}>{t("rules.preview.unreachable", { host })}</p>
        ))}
      </>
    );
  }
  return (
    <section
      className="rounded-md bg-slate-50 p-3 text-sm sm:col-span-2 dark:bg-slate-800/60"
      aria-live="polite"
      aria-labelledby="rule-preview-title"
      data-testid="rule-preview"
    >
      <h3 id="rule-preview-title" className="font-medium">
        {t("rules.preview.title")}
      </h3>
      {body}
    </section>
  );
}

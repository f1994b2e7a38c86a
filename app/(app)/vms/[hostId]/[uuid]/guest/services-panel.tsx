"use client";

import { useId, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { ServiceActionName, ServiceEntry, ServiceList } from "@/agent/protocol/schemas/services";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveRefetch } from "@/app/_components/live-events";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { FormStatus } from "@/app/_components/form-status";
import { useHydrated } from "@/app/_components/use-hydrated";
import {
  STATE_FILTERS,
  actionProblem,
  cutsAccess,
  filterServices,
  listProblem,
  needsConfirmation,
  problemOfError,
  serviceActionsFor,
  type ServicesProblem,
  type StateFilter,
} from "./services-view";

/** A guest can have hundreds of units; more rows than this is a filter's job, not a scroll's. */
const SHOWN_MAX = 100;

type Outcome =
  { kind: "done"; service: ServiceEntry; action: ServiceActionName } | { kind: "failed"; name: string; action: ServiceActionName; message: string };

/** A refusal we can explain in words, then the server's own (the guest's tool may say more). */
function ProblemOrError({ message }: { message: string }) {
  const t = useTranslations("guestAdmin.services.problems");
  const problem = problemOfError(message);
  return (
    <div role="alert" className="space-y-1 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
      {problem && <p>{t(problem)}</p>}
      <p translate="no" className={problem ? "text-xs opacity-80" : undefined}>
        {message}
      </p>
    </div>
  );
}

function Note({ problem }: { problem: ServicesProblem }) {
  const t = useTranslations("guestAdmin.services.problems");
  return (
    <p role="status" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100" data-problem={problem}>
      {t(problem)}
    </p>
  );
}

/**
 * The guest's services (systemd units or OpenRC scripts) through our agent's list_services, with
 * Start/Stop/Restart/Enable/Disable through service_action for users with guest.exec. Stop and
 * Disable are asked once. What the section cannot do (no agent, switched off in the guest, no
 * init system we know, no permission) it says in words, naming the agent's config switch.
 */
export function ServicesPanel({ hostId, uuid, running, canExec }: { hostId: string; uuid: string; running: boolean; canExec: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const t = useTranslations("guestAdmin.services");
  const hydrated = useHydrated();
  const ids = useId();
  const ref = { hostId, uuid };
  const status = useQuery({ ...trpc.guest.status.queryOptions(ref), enabled: running });
  const view = {
    running,
    agentState: status.data?.agent.state ?? null,
    capabilities: status.data?.agent.info?.capabilities ?? [],
  };
  const blocked = status.data ? listProblem(view) : running ? null : "notRunning";
  const listInput = { ...ref, limit: 4096 };
  const services = useQuery({ ...trpc.guest.services.queryOptions(listInput), enabled: !!status.data && blocked === null, retry: false });
  // The agent reconnected (restarted with another config, or the guest rebooted): list again.
  useLiveRefetch("guest.status", (event) => (event.hostId === hostId && event.uuid === uuid && event.running ? [trpc.guest.services.queryKey(listInput)] : []));

  const [text, setText] = useState("");
  const [state, setState] = useState<StateFilter>("all");
  const [asking, setAsking] = useState<{ service: ServiceEntry; action: ServiceActionName } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const act = useMutation(trpc.guest.serviceAction.mutationOptions());
  const noActions = actionProblem(view, canExec);

  const problems = useTranslations("guestAdmin.services.problems");
  const explained = (message: string) => {
    const problem = problemOfError(message);
    return problem ? `${problems(problem)} (${message})` : message;
  };

  const matched = useMemo(() => filterServices(services.data?.services ?? [], text, state), [services.data, text, state]);

  function run(service: ServiceEntry, action: ServiceActionName) {
    setOutcome(null);
    act.mutate(
      { ...ref, name: service.name, action },
      {
        onSuccess: (answer) => {
          setAsking(null);
          setOutcome({ kind: "done", service: answer.service, action });
          // The answer carries the service's state after the action: the row shows it at once.
          queryClient.setQueryData(trpc.guest.services.queryKey(listInput), (list: ServiceList | undefined) =>
            list ? { ...list, services: list.services.map((s) => (s.name === answer.service.name ? answer.service : s)) } : list,
          );
        },
        onError: (error) => {
          // A refusal asked in the dialog is shown there; the row's own result line says it too once the dialog is gone.
          if (!needsConfirmation(action)) setOutcome({ kind: "failed", name: service.name, action, message: error.message });
        },
      },
    );
  }

  function onAction(service: ServiceEntry, action: ServiceActionName) {
    if (needsConfirmation(action)) {
      act.reset();
      setAsking({ service, action });
    } else run(service, action);
  }

  if (blocked) return <Note problem={blocked} />;
  if (!status.data || services.isPending) {
    return (
      <p role="status" className="text-sm text-slate-600 dark:text-slate-400">
        {t("loading")}
      </p>
    );
  }
  if (services.error) {
    return (
      <div className="space-y-2">
        <ProblemOrError message={services.error.message} />
        <button type="button" className="btn btn-secondary" onClick={() => void services.refetch()} disabled={!hydrated || services.isFetching}>
          {services.isFetching ? t("refreshing") : t("refresh")}
        </button>
      </div>
    );
  }

  const list = services.data;
  const shown = matched.slice(0, SHOWN_MAX);
  const filterId = `${ids}-filter`;
  const stateId = `${ids}-state`;
  return (
    <div className="space-y-3">
      {noActions && <Note problem={noActions} />}
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-0 flex-1 basis-48 text-sm">
          <label htmlFor={filterId}>{t("filterLabel")}</label>
          <input
            id={filterId}
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder={t("filterPlaceholder")}
            className="input mt-1"
            autoComplete="off"
          />
        </div>
        <div className="basis-40 text-sm">
          <label htmlFor={stateId}>{t("stateLabel")}</label>
          <select id={stateId} value={state} onChange={(e) => setState(e.target.value as StateFilter)} className="input mt-1">
            {STATE_FILTERS.map((s) => (
              <option key={s} value={s}>
                {t(`states.${s}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="btn btn-secondary" onClick={() => void services.refetch()} disabled={!hydrated || services.isFetching}>
          {services.isFetching ? t("refreshing") : t("refresh")}
        </button>
      </div>
      <p className="text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
        {t("count", { shown: matched.length, total: list.services.length, init: list.init_system })}
        {list.truncated && <> {t("truncated", { total: list.services.length })}</>}
      </p>
      {outcome?.kind === "done" && (
        <FormStatus
          success={t("done", {
            name: outcome.service.name,
            action: outcome.action,
            active: outcome.service.active_state,
            sub: outcome.service.sub_state,
            enabled: outcome.service.enabled_state ?? t("enabledUnknown"),
          })}
        />
      )}
      {outcome?.kind === "failed" && (
        <div className="space-y-1">
          <p className="text-sm font-medium">{t("failed", { name: outcome.name, action: outcome.action })}</p>
          <ProblemOrError message={outcome.message} />
        </div>
      )}
      {matched.length === 0 ? (
        <p className="text-sm">{t("none")}</p>
      ) : (
        <ul className="divide-y divide-slate-200 text-sm dark:divide-slate-800" aria-label={t("title")}>
          {shown.map((service) => (
            <ServiceRow
              key={service.name}
              service={service}
              canAct={noActions === null}
              hydrated={hydrated}
              pending={act.isPending && act.variables?.name === service.name ? act.variables.action : null}
              busy={act.isPending}
              onAction={onAction}
            />
          ))}
        </ul>
      )}
      {matched.length > shown.length && (
        <p className="text-xs text-slate-500 dark:text-slate-400">{t("more", { shown: shown.length, matched: matched.length })}</p>
      )}
      {asking && (
        <ConfirmDialog
          title={t(asking.action === "stop" ? "confirm.stopTitle" : "confirm.disableTitle", { name: asking.service.name })}
          confirmLabel={t(`actions.${asking.action}`)}
          pendingLabel={t(`pending.${asking.action}`)}
          mutation={{ isPending: act.isPending, error: act.error ? { message: explained(act.error.message) } : null }}
          onConfirm={() => run(asking.service, asking.action)}
          onCancel={() => setAsking(null)}
        >
          <p>{t(asking.action === "stop" ? "confirm.stopBody" : "confirm.disableBody")}</p>
          <p className={cutsAccess(asking.service.name) ? "font-semibold" : undefined}>
            {t(cutsAccess(asking.service.name) ? "confirm.cutsAccess" : "confirm.mayCutAccess")}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function ServiceRow({
  service,
  canAct,
  hydrated,
  pending,
  busy,
  onAction,
}: {
  service: ServiceEntry;
  canAct: boolean;
  hydrated: boolean;
  pending: ServiceActionName | null;
  busy: boolean;
  onAction: (service: ServiceEntry, action: ServiceActionName) => void;
}) {
  const t = useTranslations("guestAdmin.services");
  const failed = service.active_state === "failed";
  return (
    <li className="flex flex-wrap items-center gap-x-4 gap-y-2 py-2" data-service={service.name}>
      <div className="min-w-0 flex-1 basis-56">
        <p className="break-all font-mono" translate="no">
          {service.name}
        </p>
        <p className="break-words text-xs text-slate-500 dark:text-slate-400" translate={service.description ? "no" : undefined}>
          {service.description ?? t("noDescription")}
        </p>
      </div>
      <dl className="flex gap-4 text-xs">
        <div>
          <dt className="text-slate-500 dark:text-slate-400">{t("activeState")}</dt>
          <dd translate="no" className={failed ? "font-semibold text-red-700 dark:text-red-300" : undefined} data-testid="service-state">
            {service.active_state} ({service.sub_state})
          </dd>
        </div>
        <div>
          <dt className="text-slate-500 dark:text-slate-400">{t("enabledState")}</dt>
          <dd translate={service.enabled_state ? "no" : undefined}>{service.enabled_state ?? t("enabledUnknown")}</dd>
        </div>
      </dl>
      {canAct && (
        <div role="group" aria-label={t("actionsLabel", { name: service.name })} className="flex flex-wrap gap-2">
          {serviceActionsFor(service).map((action) => (
            <button key={action} type="button" className="btn btn-secondary" disabled={!hydrated || busy} onClick={() => onAction(service, action)}>
              {pending === action ? t(`pending.${action}`) : t(`actions.${action}`)}
            </button>
          ))}
        </div>
      )}
    </li>
  );
}

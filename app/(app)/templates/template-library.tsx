"use client";

import { useEffect, useState } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { TemplateInfo, TemplateState, TemplateUser } from "@/server/templates/contract";
import type { TaskSummary } from "@/server/tasks/store";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDelete } from "@/app/_components/confirm-delete";
import { TaskProgress } from "@/app/_components/task-progress";
import { DeployDialog } from "./deploy-dialog";

export interface TemplateAbilities {
  /** template.manage: delete (making one is on a VM's page). */
  manage: boolean;
  /** vm.create (and storage.read, for the pool choice): deploy. */
  deploy: boolean;
}

const STATE_TONE: Record<TemplateState, string> = {
  creating: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  ready: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  failed: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
};

/** Where a template's copying task is listed: /tasks has no page per task, so the template tasks. */
const TEMPLATE_TASKS = `/tasks?${new URLSearchParams({ kind: "template.create" })}`;

/**
 * The template library: every template the user may see, newest first, as cards that reflow on a
 * phone. A template being made shows its copying task's progress from the task events, and the
 * list is read again when such a task ends (ready or failed) or one starts that it does not hold.
 */
export function TemplateLibrary({ initial, can, userDataMaxChars }: { initial: TemplateInfo[]; can: TemplateAbilities; userDataMaxChars: number }) {
  const t = useTranslations("templates");
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.templates.list.queryOptions({});
  const list = useQuery({ ...options, initialData: initial });
  const [tasks, setTasks] = useState<Record<string, TaskSummary>>({});
  useLiveEvent("task", (event) => {
    if (event.task.kind !== "template.create") return;
    setTasks((seen) => ({ ...seen, [event.task.id]: event.task }));
    if (event.task.state !== "running" || !list.data.some((tpl) => tpl.taskId === event.task.id)) {
      void queryClient.invalidateQueries({ queryKey: options.queryKey });
    }
  });
  // A copy that ended between the server's render of this page and the subscription above sent its
  // event to no one: read once more now that the events are heard, when something was still being made.
  const [creatingAtRender] = useState(() => initial.some((tpl) => tpl.state === "creating"));
  const refetch = list.refetch;
  useEffect(() => {
    if (creatingAtRender) void refetch();
  }, [creatingAtRender, refetch]);
  const [deploying, setDeploying] = useState<TemplateInfo | null>(null);
  const [deleting, setDeleting] = useState<TemplateInfo | null>(null);
  if (list.data.length === 0) {
    return (
      <section className="card space-y-2 text-sm" data-testid="templates-empty">
        <p className="font-medium">{t("empty.title")}</p>
        <p>{t("empty.howTo")}</p>
        <p className="text-slate-600 dark:text-slate-400">{t("empty.then")}</p>
      </section>
    );
  }
  return (
    <>
      <ol className="grid grid-cols-1 gap-3 lg:grid-cols-2" aria-label={t("listLabel")}>
        {list.data.map((tpl) => (
          <TemplateCard
            key={tpl.id}
            template={tpl}
            task={tpl.taskId ? tasks[tpl.taskId] : undefined}
            can={can}
            onDeploy={() => setDeploying(tpl)}
            onDelete={() => setDeleting(tpl)}
          />
        ))}
      </ol>
      {deploying && <DeployDialog template={deploying} userDataMaxChars={userDataMaxChars} onCancel={() => setDeploying(null)} />}
      {deleting && <DeleteDialog template={deleting} onDone={() => setDeleting(null)} />}
    </>
  );
}

function TemplateCard({
  template: tpl,
  task,
  can,
  onDeploy,
  onDelete,
}: {
  template: TemplateInfo;
  task: TaskSummary | undefined;
  can: TemplateAbilities;
  onDeploy: () => void;
  onDelete: () => void;
}) {
  const t = useTranslations("templates");
  const format = useFormat();
  const hydrated = useHydrated();
  const sizeOfDisks = tpl.disks.reduce((sum, d) => sum + d.capacityBytes, 0);
  const canDeploy = can.deploy && tpl.state === "ready";
  // A template being made is removed by cancelling its task; a failed one's row is cleared by deleting it.
  const canDelete = can.manage && tpl.state !== "creating";
  return (
    <li
      className="card min-w-0 space-y-2 text-sm"
      aria-label={t("card.label", { name: tpl.name })}
      data-testid="template"
      data-template-id={tpl.id}
      data-template-state={tpl.state}
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${STATE_TONE[tpl.state]}`} data-testid="template-state">
          {t(`states.${tpl.state}`)}
        </span>
        <h2 className="min-w-0 break-all text-base font-semibold" translate="no">
          {tpl.name}
        </h2>
      </div>
      {tpl.description && (
        // The admin's own words, in whatever language they wrote them.
        <p className="whitespace-pre-line break-words" translate="no">
          {tpl.description}
        </p>
      )}
      <dl className="grid grid-cols-1 gap-x-4 gap-y-1 sm:grid-cols-2">
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("facts.host")}</dt>
          <dd translate="no">{tpl.hostId}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("facts.sourceVm")}</dt>
          <dd className="break-all" translate="no">
            {tpl.sourceVm}
          </dd>
        </div>
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("facts.hardware")}</dt>
          <dd>{t("hardware", { vcpus: tpl.vcpus, memory: format.bytes(tpl.memoryMiB * 1024 ** 2) })}</dd>
        </div>
        <div>
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("facts.pool")}</dt>
          <dd className="break-all" translate="no">
            {tpl.pool}
          </dd>
        </div>
        <div className="sm:col-span-2">
          <dt className="text-xs text-slate-600 dark:text-slate-400">{t("facts.disks", { count: tpl.disks.length, size: format.bytes(sizeOfDisks) })}</dt>
          <dd>
            {tpl.disks.length === 0 ? (
              t("noDisks")
            ) : (
              <ul>
                {tpl.disks.map((d) => (
                  <li key={d.target} className="break-all" data-testid="template-disk">
                    {t.rich("disk", {
                      target: d.target,
                      format: d.format,
                      volume: d.volume,
                      size: format.bytes(d.capacityBytes),
                      used: format.bytes(d.allocationBytes),
                      mono: (chunks) => (
                        <span className="font-mono" translate="no">
                          {chunks}
                        </span>
                      ),
                    })}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
      </dl>
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {tpl.createdBy ? t("made", { user: tpl.createdBy, time: format.dateTime(tpl.createdAt) }) : t("madeByGone", { time: format.dateTime(tpl.createdAt) })}
      </p>
      {tpl.state === "creating" && (
        <div className="space-y-1">
          {task && task.state === "running" ? <TaskProgress task={task} /> : <p>{t("creating")}</p>}
          <Link href={TEMPLATE_TASKS} className="inline-flex min-h-11 items-center underline">
            {t("taskLink")}
          </Link>
        </div>
      )}
      {tpl.state === "failed" && (
        <div className="space-y-1">
          <p className="font-medium text-red-800 dark:text-red-300">{t("failed")}</p>
          {tpl.error && (
            // The service's words about what failed (libvirt's, the copy's), as they came.
            <p className="break-words text-red-800 dark:text-red-300" translate="no" data-testid="template-error">
              {tpl.error}
            </p>
          )}
          {tpl.taskId && (
            <Link href={TEMPLATE_TASKS} className="inline-flex min-h-11 items-center underline">
              {t("taskLinkFailed")}
            </Link>
          )}
        </div>
      )}
      {(canDeploy || canDelete) && (
        <div className="flex flex-wrap gap-2" role="group" aria-label={t("actions", { name: tpl.name })}>
          {canDeploy && (
            <button type="button" className="btn btn-primary" disabled={!hydrated} onClick={onDeploy}>
              {t("deploy.open")}
            </button>
          )}
          {canDelete && (
            <button type="button" className="btn btn-secondary" disabled={!hydrated} onClick={onDelete}>
              {t("delete.open")}
            </button>
          )}
        </div>
      )}
    </li>
  );
}

/**
 * Deleting a template, after one confirmation. The server refuses while linked clones read its
 * disks; then the template's users (templates.get, read from libvirt) are listed instead of the
 * server's sentence, each VM a link to its page, so the admin sees what to delete first.
 */
function DeleteDialog({ template, onDone }: { template: TemplateInfo; onDone: () => void }) {
  const t = useTranslations("templates");
  const trpc = useTRPC();
  const toasts = useToasts();
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.templates.delete.mutationOptions({
      onSuccess: () => {
        toasts.success(`template ${template.id}`, t("delete.done", { name: template.name }));
        void queryClient.invalidateQueries({ queryKey: trpc.templates.list.queryKey() });
        onDone();
      },
    }),
  );
  const inUse = remove.error?.data?.code === "CONFLICT";
  const detail = useQuery({ ...trpc.templates.get.queryOptions({ id: template.id }), enabled: inUse });
  const users = inUse ? (detail.data?.users ?? null) : null;
  return (
    <ConfirmDelete
      what={t("delete.what", { name: template.name })}
      confirmLabel={t("delete.confirm")}
      // The refusal is shown as the list of users below once it is read; until then (or if it cannot be read) as the server said it.
      mutation={{ isPending: remove.isPending, error: users ? null : remove.error }}
      onConfirm={() => remove.mutate({ id: template.id })}
      onCancel={onDone}
    >
      <p>{t("delete.body", { pool: template.pool })}</p>
      {users && <TemplateUsers hostId={template.hostId} users={users} />}
    </ConfirmDelete>
  );
}

function TemplateUsers({ hostId, users }: { hostId: string; users: TemplateUser[] }) {
  const t = useTranslations("templates");
  return (
    <div role="alert" className="space-y-2 rounded-md bg-red-50 px-3 py-2 text-red-900 dark:bg-red-950 dark:text-red-100" data-testid="template-users">
      <p>{t("delete.inUse", { count: users.length })}</p>
      <ul className="list-disc space-y-1 pl-5">
        {users.map((u) => (
          <li key={`${u.kind}:${u.name}`} className="break-all">
            {u.kind === "vm" && u.uuid ? (
              <Link href={`/vms/${encodeURIComponent(hostId)}/${u.uuid}`} className="inline-flex min-h-11 items-center underline" translate="no">
                {t("delete.userVm", { name: u.name })}
              </Link>
            ) : u.kind === "vm" ? (
              <span translate="no">{t("delete.userVm", { name: u.name })}</span>
            ) : (
              t.rich("delete.userVolume", {
                path: u.name,
                mono: (chunks) => (
                  <span className="font-mono" translate="no">
                    {chunks}
                  </span>
                ),
              })
            )}
          </li>
        ))}
      </ul>
      <p>{t("delete.inUseThen")}</p>
    </div>
  );
}

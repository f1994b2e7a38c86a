"use client";

import { useState } from "react";
import { Link } from "@/app/_components/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { TaskSummary } from "@/server/tasks/store";
import { TASK_LOG_HEAD, type TaskKind, type TaskState } from "@/server/tasks/kinds";
import { useTRPC } from "@/app/_components/trpc";
import { useLiveEvent } from "@/app/_components/live-events";
import { useFormat } from "@/app/_components/use-format";
import { useToasts } from "@/app/_components/toasts";
import { useHydrated } from "@/app/_components/use-hydrated";
import { ConfirmDialog } from "@/app/_components/confirm-dialog";
import { TaskProgress, useLiveTaskList, useTaskWords } from "@/app/_components/task-progress";

export interface TaskFilters {
  state?: TaskState;
  kind?: TaskKind;
  vm?: { hostId: string; uuid: string };
}

const STATE_TONE: Record<TaskState, string> = {
  running: "bg-sky-100 text-sky-900 dark:bg-sky-900/40 dark:text-sky-100",
  succeeded: "bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100",
  failed: "bg-red-100 text-red-900 dark:bg-red-900/40 dark:text-red-100",
  cancelled: "bg-slate-200 text-slate-900 dark:bg-slate-700 dark:text-slate-100",
  interrupted: "bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100",
};

function matches(filters: TaskFilters, task: TaskSummary): boolean {
  if (filters.state && task.state !== filters.state) return false;
  if (filters.kind && task.kind !== filters.kind) return false;
  if (filters.vm && (task.hostId !== filters.vm.hostId || task.targetUuid !== filters.vm.uuid)) return false;
  return true;
}

/**
 * The tasks matching the page's filters, kept current by `task` events (progress moves in place,
 * a new task appears first), with the log on expand and Cancel for those the user may stop.
 */
export function TaskList({ filters, initial, userId, canCancelAny }: { filters: TaskFilters; initial: TaskSummary[]; userId: number; canCancelAny: boolean }) {
  const t = useTranslations("tasks");
  const tasks = useLiveTaskList({ ...filters, limit: 200 }, initial, (task) => matches(filters, task));
  const [cancelling, setCancelling] = useState<TaskSummary | null>(null);
  return (
    <>
      <p className="text-sm text-slate-600 dark:text-slate-400">{t("liveNote")}</p>
      {tasks.length === 0 ? (
        <p className="card text-sm">{t("none")}</p>
      ) : (
        <ol className="space-y-2" aria-label={t("listLabel")}>
          {tasks.map((task) => (
            <TaskItem
              key={task.id}
              task={task}
              canCancel={task.state === "running" && task.cancellable && (task.userId === userId || canCancelAny)}
              onCancel={() => setCancelling(task)}
            />
          ))}
        </ol>
      )}
      {cancelling && <CancelDialog task={cancelling} onDone={() => setCancelling(null)} />}
    </>
  );
}

function TaskItem({ task, canCancel, onCancel }: { task: TaskSummary; canCancel: boolean; onCancel: () => void }) {
  const t = useTranslations("tasks");
  const format = useFormat();
  const words = useTaskWords();
  const hydrated = useHydrated();
  const [open, setOpen] = useState(false);
  const target = words.target(task);
  return (
    <li className="card space-y-2 text-sm" data-testid="task" data-task-id={task.id} data-task-state={task.state}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <span className={`rounded px-1.5 py-0.5 text-xs font-semibold ${STATE_TONE[task.state]}`} data-testid="task-state">
          {words.state(task)}
        </span>
        <span className="font-medium">{words.kind(task)}</span>
        {task.targetKind === "vm" && task.targetUuid ? (
          <Link href={`/vms/${encodeURIComponent(task.hostId)}/${task.targetUuid}`} className="inline-flex min-h-11 items-center underline" translate="no">
            {target}
          </Link>
        ) : (
          <span translate="no">{target}</span>
        )}
        {task.detail && (
          <span className="min-w-0 break-all text-slate-600 dark:text-slate-400" translate="no">
            {t("item.detail", { detail: task.detail })}
          </span>
        )}
        {canCancel && (
          <button type="button" className="btn btn-secondary ml-auto px-3 py-1" disabled={!hydrated} onClick={onCancel}>
            {t("item.cancel")}
          </button>
        )}
      </div>
      {task.state === "running" ? (
        <TaskProgress task={task} />
      ) : (
        task.bytesTotal !== null &&
        task.bytesDone !== null && (
          <p className="text-xs text-slate-600 dark:text-slate-400" data-testid="task-bytes">
            {t("item.bytes", { done: format.bytes(task.bytesDone), total: format.bytes(task.bytesTotal) })}
          </p>
        )
      )}
      {task.error && (
        // The server's words about the thing (libvirt's, the download's), as they came.
        <p className="break-words text-red-800 dark:text-red-300" data-testid="task-error" translate="no">
          {task.error}
        </p>
      )}
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {t("item.startedBy", { user: task.username, time: format.dateTime(task.startedAt) })}
        {task.endedAt && <> · {t("item.ended", { time: format.dateTime(task.endedAt) })}</>}
      </p>
      <details onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary className="flex min-h-11 cursor-pointer items-center text-sky-800 underline dark:text-sky-300">{t("item.log")}</summary>
        {open && <TaskLog id={task.id} updatedAt={task.updatedAt} />}
      </details>
    </li>
  );
}

/** The task's log, read when shown and again whenever the task moves on. */
function TaskLog({ id, updatedAt }: { id: string; updatedAt: string }) {
  const t = useTranslations("tasks");
  const format = useFormat();
  const trpc = useTRPC();
  const task = useQuery({ ...trpc.tasks.get.queryOptions({ id }), select: (v) => v.log });
  const queryClient = useQueryClient();
  useLiveEvent("task", (event) => {
    if (event.task.id === id && event.task.updatedAt !== updatedAt) void queryClient.invalidateQueries({ queryKey: trpc.tasks.get.queryKey({ id }) });
  });
  if (task.error) return <p className="mt-1 text-red-800 dark:text-red-300">{task.error.message}</p>;
  if (!task.data) return <p className="mt-1">{t("item.logLoading")}</p>;
  if (task.data.lines.length === 0) return <p className="mt-1">{t("item.logEmpty")}</p>;
  const head = task.data.dropped > 0 ? Math.min(task.data.lines.length, TASK_LOG_HEAD) : task.data.lines.length;
  return (
    <ol className="mt-1 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs dark:bg-slate-950" data-testid="task-log">
      {task.data.lines.map((line, i) => (
        <li key={i} className="break-words">
          {i === head && <p className="italic text-slate-500">{t("item.logDropped", { count: task.data.dropped })}</p>}
          <time dateTime={line.at} className="text-slate-500">
            {format.dateTime(line.at)}
          </time>{" "}
          <span translate="no">{line.text}</span>
        </li>
      ))}
    </ol>
  );
}

function CancelDialog({ task, onDone }: { task: TaskSummary; onDone: () => void }) {
  const t = useTranslations("tasks");
  const words = useTaskWords();
  const trpc = useTRPC();
  const toasts = useToasts();
  const what = words.what(task);
  const cancel = useMutation(
    trpc.tasks.cancel.mutationOptions({
      onSuccess: () => {
        toasts.success(`task ${task.id}`, t("item.cancelRequested", { what }));
        onDone();
      },
    }),
  );
  return (
    <ConfirmDialog
      title={t("item.cancelTitle", { what })}
      confirmLabel={t("item.cancel")}
      pendingLabel={t("item.cancelling")}
      mutation={cancel}
      onConfirm={() => cancel.mutate({ id: task.id })}
      onCancel={onDone}
    >
      <p>{t("item.cancelBody")}</p>
    </ConfirmDialog>
  );
}

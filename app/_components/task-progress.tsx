"use client";

import { useRef } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslations } from "next-intl";
import type { inferRouterInputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import type { TaskSummary } from "@/server/tasks/store";
import { useFormat } from "./use-format";
import { useLiveEvent } from "./live-events";
import { useTRPC } from "./trpc";

/** "Clone VM web-1 on local": what a task is, in the page's language, for labels and confirmations. */
export function useTaskWords() {
  const t = useTranslations("tasks");
  return {
    kind: (task: Pick<TaskSummary, "kind">) => t(`kinds.${task.kind}`),
    state: (task: Pick<TaskSummary, "state">) => t(`states.${task.state}`),
    target: (task: Pick<TaskSummary, "targetKind" | "targetName" | "hostId">) => t(`target.${task.targetKind}`, { name: task.targetName, host: task.hostId }),
    what: (task: Pick<TaskSummary, "kind" | "targetKind" | "targetName" | "hostId">) =>
      `${t(`kinds.${task.kind}`)}: ${t(`target.${task.targetKind}`, { name: task.targetName, host: task.hostId })}`,
  };
}

/**
 * A running task's progress: a bar with its percentage and the bytes where known; a bar without a
 * value (the browser shows it as busy) when the operation cannot tell how far it is.
 */
export function TaskProgress({ task }: { task: TaskSummary }) {
  const t = useTranslations("tasks");
  const format = useFormat();
  const words = useTaskWords();
  const percent = task.progress === null ? null : Math.round(task.progress * 100);
  return (
    <div className="space-y-0.5">
      <progress
        className="h-2 w-full accent-sky-600"
        max={100}
        value={percent ?? undefined}
        aria-label={t("item.progress", { what: words.what(task) })}
        data-testid="task-progress"
      />
      <p className="text-xs text-slate-600 dark:text-slate-400">
        {percent === null ? t("item.noPercent") : t("item.percent", { percent: format.number(percent) })}
        {task.bytesTotal !== null && task.bytesDone !== null && (
          <span data-testid="task-bytes"> · {t("item.bytes", { done: format.bytes(task.bytesDone), total: format.bytes(task.bytesTotal) })}</span>
        )}
      </p>
    </div>
  );
}

/** Applies a `task` event to a list of tasks: the changed one replaced in place; a new one (when `accept` takes it) first. */
export function withTask(list: TaskSummary[] | undefined, task: TaskSummary, accept: (task: TaskSummary) => boolean): TaskSummary[] | undefined {
  if (!list) return list;
  const at = list.findIndex((t) => t.id === task.id);
  if (at === -1) return accept(task) ? [task, ...list] : list;
  if (!accept(task)) return list.filter((t) => t.id !== task.id);
  const next = [...list];
  next[at] = task;
  return next;
}

/**
 * The list as a read answered it, each task replaced by the version last seen in a `task` event when that one is
 * as new or newer: a read that left before an event arrived and answered after it must not take the task back
 * (every change the server writes is also sent as an event, so the newest event is never behind the database).
 */
export function withLatestSeen(list: TaskSummary[], seen: ReadonlyMap<string, TaskSummary>, accept: (task: TaskSummary) => boolean): TaskSummary[] {
  return list.flatMap((task) => {
    const live = seen.get(task.id);
    const latest = live && live.updatedAt >= task.updatedAt ? live : task;
    return accept(latest) ? [latest] : [];
  });
}

/** How many tasks' last events a page keeps: far more than a list shows, and a tab open for weeks stays small. */
const SEEN_LIMIT = 1000;

/**
 * A `tasks.list` read kept current by `task` events: a task `accept` takes appears first, progress moves in
 * place, one it no longer takes leaves. Each task shows the newer of its last event and the last read, so a
 * read answered after an event (the stream reopening reads every query again) cannot put an older progress
 * back, which an upload that waits for its next bytes would never correct.
 */
export function useLiveTaskList(input: inferRouterInputs<AppRouter>["tasks"]["list"], initial: TaskSummary[], accept: (task: TaskSummary) => boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const options = trpc.tasks.list.queryOptions(input);
  const seen = useRef(new Map<string, TaskSummary>());
  const query = useQuery({ ...options, initialData: initial, select: (list) => withLatestSeen(list, seen.current, accept) });
  useLiveEvent("task", (event) => {
    // Re-inserted so the map's order is the order of last events: the oldest is the one let go.
    seen.current.delete(event.task.id);
    seen.current.set(event.task.id, event.task);
    if (seen.current.size > SEEN_LIMIT) seen.current.delete(seen.current.keys().next().value!);
    queryClient.setQueryData(options.queryKey, (old) => withTask(old, event.task, accept));
  });
  return query.data;
}

"use client";

import { Link } from "@/app/_components/link";
import { useTranslations } from "next-intl";
import type { TaskSummary } from "@/server/tasks/store";
import { Icon } from "./icons";
import { TaskProgress, useLiveTaskList, useTaskWords } from "./task-progress";

const isRunning = (task: TaskSummary) => task.state === "running";

/** The most running tasks the tray lists; /tasks has them all. */
const TRAY_LIMIT = 20;

/**
 * The shell's tray of running tasks: a count in the header that opens a list with each task's
 * progress and a link to /tasks. Kept current by `task` events (a new task appears, progress moves,
 * an ended one leaves); read from the server on each page load, so it survives a reload.
 */
export function TaskTray({ initial }: { initial: TaskSummary[] }) {
  const t = useTranslations("tasks");
  const words = useTaskWords();
  const running = useLiveTaskList({ state: "running", limit: TRAY_LIMIT }, initial, isRunning);
  const count = running.length;
  return (
    // <details> opens and closes with the keyboard and screen readers without any script.
    <details className="relative" data-testid="task-tray">
      <summary className="btn btn-secondary relative list-none px-3" aria-label={t("tray.summary", { count })}>
        <Icon name="activity" />
        {count > 0 && (
          <span
            className="absolute -right-1 -top-1 rounded-full bg-sky-700 px-1.5 text-xs font-semibold leading-5 text-white"
            aria-hidden="true"
            data-testid="task-tray-count"
          >
            {count}
          </span>
        )}
      </summary>
      <div
        className="absolute right-0 top-full z-50 mt-2 w-80 max-w-[calc(100vw-2rem)] space-y-3 rounded-md border border-slate-200 bg-white p-3 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900"
        role="region"
        aria-label={t("tray.label")}
      >
        {count === 0 ? (
          <p>{t("tray.none")}</p>
        ) : (
          <ul className="space-y-3">
            {running.map((task) => (
              <li key={task.id} data-testid="task-tray-item" data-task-id={task.id}>
                <p className="truncate font-medium" translate="no">
                  {words.what(task)}
                </p>
                <TaskProgress task={task} />
              </li>
            ))}
          </ul>
        )}
        <Link href="/tasks" className="inline-block underline">
          {t("tray.all")}
        </Link>
      </div>
    </details>
  );
}

"use client";

import { Link } from "@/app/_components/link";
import { useTranslations } from "next-intl";
import type { TaskSummary } from "@/server/tasks/store";
import { TaskProgress, useLiveTaskList, useTaskWords } from "@/app/_components/task-progress";

/** The VM's latest tasks read for the line: enough to show every running one. */
const LINE_LIMIT = 10;

/**
 * Above a VM's tabs once it has had a task: the running ones with their progress, else how the
 * last one ended, and a link to /tasks filtered to the VM. Kept current by `task` events about it.
 */
export function VmTaskLine({ hostId, uuid, initial }: { hostId: string; uuid: string; initial: TaskSummary[] }) {
  const t = useTranslations("tasks");
  const words = useTaskWords();
  const list = useLiveTaskList({ vm: { hostId, uuid }, limit: LINE_LIMIT }, initial, (task) => task.hostId === hostId && task.targetUuid === uuid);
  if (list.length === 0) return null;
  const running = list.filter((task) => task.state === "running");
  return (
    <section className="card space-y-2 text-sm" aria-label={t("vm.link")} data-testid="vm-task-line">
      {running.length > 0 ? (
        <>
          <p className="font-medium">{t("vm.running", { count: running.length })}</p>
          <ul className="space-y-2">
            {running.map((task) => (
              <li key={task.id}>
                <p translate="no">{task.detail ? `${words.kind(task)} ${t("item.detail", { detail: task.detail })}` : words.kind(task)}</p>
                <TaskProgress task={task} />
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>{t("vm.last", { kind: words.kind(list[0]!), state: words.state(list[0]!) })}</p>
      )}
      <Link href={`/tasks?${new URLSearchParams({ hostId, uuid })}`} className="inline-block underline">
        {t("vm.link")}
      </Link>
    </section>
  );
}

import type { Db } from "../db/client";
import { hosts } from "../db/schema";
import { roleHas } from "../auth/permissions";
import { auditTargets } from "../audit/targets";
import { ServiceError } from "../errors";
import type { SessionUser } from "../users/service";
import { getTask, type TaskSummary } from "./store";
import type { TaskRunner } from "./runner";

/** The canonical audit target of what a task acts on (server/audit/targets.ts). */
export function taskAuditTarget(task: Pick<TaskSummary, "hostId" | "targetKind" | "targetName">): string {
  switch (task.targetKind) {
    case "vm":
      return auditTargets.vm(task.hostId, task.targetName);
    case "volume": {
      const slash = task.targetName.indexOf("/");
      return auditTargets.volume(task.hostId, task.targetName.slice(0, slash), task.targetName.slice(slash + 1));
    }
    case "pool":
      return auditTargets.pool(task.hostId, task.targetName);
    case "host":
      return auditTargets.host(task.hostId);
  }
}

/** Each host's libvirt URI, for the visibility checks that read a VM's tags. */
export function hostUris(db: Db): (hostId: string) => string | undefined {
  const uris = new Map(
    db
      .select({ id: hosts.id, uri: hosts.uri })
      .from(hosts)
      .all()
      .map((h) => [h.id, h.uri]),
  );
  return (hostId) => uris.get(hostId);
}

/**
 * Asks a running task to stop. Only its starter may (task.cancel), or anyone with task.cancelAny;
 * a task the user may not see answers as missing. The operation ends the task itself (cancelled,
 * or — when it finished first — as it finished); events tell the pages. `onTarget` hears the
 * audit target as soon as the task is found.
 */
export async function cancelTask(
  runner: TaskRunner,
  user: SessionUser,
  id: string,
  onTarget: (target: string) => void = () => undefined,
): Promise<TaskSummary> {
  onTarget(auditTargets.task(id));
  const task = await getTask(runner.db, user, id, hostUris(runner.db));
  if (!task) throw new ServiceError(`${auditTargets.task(id)}: no such task`, "not_found");
  const target = taskAuditTarget(task);
  // Known before any refusal: a refused cancel is audited against what the task acts on.
  onTarget(target);
  if (task.userId !== user.id && !roleHas(user.role, "task.cancelAny")) {
    throw new ServiceError(`${target}: this task was started by ${task.username}; only they or an administrator may cancel it`, "forbidden");
  }
  if (task.state !== "running") throw new ServiceError(`${target}: the task has already ended (${task.state})`, "conflict");
  const handle = runner.handle(id);
  if (!handle || !handle.cancellable) throw new ServiceError(`${target}: this task cannot be stopped at this point`, "conflict");
  handle.requestCancel();
  return handle.summary();
}

import type { KeyObject } from "node:crypto";
import type { Db } from "../db/client";
import { resolveVm } from "../domains/lookup";
import { ServiceError } from "../errors";
import { resolveHost } from "../hosts/connection";
import type { VmRef } from "../identifiers";
import { auditTargets } from "../audit/targets";
import { taskRunner } from "../tasks/runner";
import type { SessionUser } from "../users/service";
import { toServiceError } from "./errors";
import { guestHub } from "./index";
import { offeredAgentBundle, pushAgentUpdate, updateRefusal, type AgentBundle, type UpdateHub } from "./update";
import { loadSigningKey } from "./update-signing";

/**
 * Agent updates as tasks (server/tasks/README.md): one task per VM, progress by bytes, cancellable
 * until the commit (then agent_update_abort drops the upload). Many VMs at once run AGENT_UPDATE_CONCURRENCY
 * at a time, across all requests: each upload crosses libvirtd and each trial restarts a guest process.
 */
export const AGENT_UPDATE_CONCURRENCY = 4;
/** The most VMs one request updates (a bound on tasks and audit rows per click). */
export const MAX_AGENT_UPDATE_VMS = 200;

/** A counting semaphore: tasks wait for a slot in the order they asked. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];
  constructor(size: number) {
    this.free = size;
  }
  async take(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    };
  }
}

const slots = new Slots(AGENT_UPDATE_CONCURRENCY);

export interface AgentUpdateStart {
  hostId: string;
  uuid: string;
  /** Null when the VM was not found (or is outside the caller's grants: the same answer). */
  name: string | null;
  /** The task that updates this VM's agent; null when none was started (see error). */
  taskId: string | null;
  error: string | null;
  /** The canonical audit target of this VM's row. */
  target: string;
}

export interface AgentUpdateDeps {
  bundle?: AgentBundle;
  key?: KeyObject;
  hub?: UpdateHub;
  /** Passed to pushAgentUpdate (tests shorten the wait). */
  waitMs?: number;
}

/** Starts one update task per VM (duplicates once) and answers without waiting for them. */
export async function startAgentUpdates(
  db: Db,
  user: SessionUser,
  refs: VmRef[],
  deps: AgentUpdateDeps = {},
): Promise<{ version: string | null; vms: AgentUpdateStart[] }> {
  const bundle = deps.bundle ?? offeredAgentBundle();
  let key = deps.key;
  const hub = deps.hub ?? guestHub();
  const seen = new Set<string>();
  const unique = refs.filter((ref) => {
    const id = `${ref.hostId}/${ref.uuid.toLowerCase()}`;
    return !seen.has(id) && seen.add(id);
  });
  const runner = taskRunner(db);
  const vms: AgentUpdateStart[] = [];
  for (const ref of unique) {
    let target = auditTargets.vmById(ref.hostId, ref.uuid);
    try {
      const vm = await resolveVm(resolveHost(db, ref.hostId), user, ref.uuid);
      target = vm.context;
      // Each VM's row says so, as it would say any other reason this VM cannot be updated.
      if (!bundle)
        throw new ServiceError(
          `${vm.context}: there is no agent bundle to offer: build it with \`npm run build:agent\` (KVMM_AGENT_BUNDLE names the file)`,
          "conflict",
        );
      // A VM that cannot be updated now (stopped, no agent, an old one) gets no task: its row says why at once.
      const status = await hub.track({ id: vm.hostId, conn: vm.conn }, vm.dom).catch((err: unknown) => {
        throw toServiceError(vm.context, err);
      });
      const refusal = updateRefusal(status, bundle);
      if (refusal) throw new ServiceError(`${vm.context}: cannot update the agent to ${bundle.version}: ${refusal}`, "conflict");
      key ??= loadSigningKey();
      const signingKey = key;
      const { id, done } = runner.run(
        {
          kind: "agent.update",
          target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid: ref.uuid.toLowerCase() },
          user,
          detail: bundle.version,
          cancellable: true,
          bytesTotal: bundle.size,
        },
        async (task) => {
          task.log(`Waiting for one of ${AGENT_UPDATE_CONCURRENCY} update slots`);
          const release = await slots.take();
          try {
            if (task.signal.aborted) throw new ServiceError(`${vm.context}: agent update cancelled before it began`, "conflict");
            const outcome = await pushAgentUpdate(vm, bundle, {
              key: signingKey,
              hub,
              signal: task.signal,
              waitMs: deps.waitMs,
              onProgress: (bytesDone, bytesTotal) => task.progress({ bytesDone, bytesTotal }),
              onCommit: () => task.setCancellable(false),
              log: (line) => task.log(line),
            });
            if (outcome.state === "rolled_back") {
              throw new ServiceError(
                `${vm.context}: the agent went back to ${outcome.runningVersion}: ${outcome.failedVersion} failed its trial (${outcome.reason})`,
                "conflict",
              );
            }
            task.log(`The agent runs ${outcome.version} and answered the host`);
            return outcome;
          } finally {
            release();
          }
        },
        (outcome) => ({ version: outcome.version, previousVersion: outcome.previousVersion }),
      );
      // The task row keeps the outcome; nobody awaits this promise.
      done.catch(() => undefined);
      vms.push({ ...ref, name: vm.name, taskId: id, error: null, target });
    } catch (err) {
      vms.push({ ...ref, name: null, taskId: null, error: err instanceof Error ? err.message : String(err), target });
    }
  }
  return { version: bundle?.version ?? null, vms };
}

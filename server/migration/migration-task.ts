import { VIR_DOMAIN_JOB_STATS_COMPLETED, decodeTypedParams, encodeTypedParams, uuidToString, virDomainJobType, type protocol } from "../libvirt";
import type { Db } from "../db/client";
import type { SessionUser } from "../users/service";
import type { ResolvedVm } from "../domains/lookup";
import { resolveHost, type ResolvedHost } from "../hosts/connection";
import { ServiceError, translateLibvirtError } from "../errors";
import { publish } from "../events/bus";
import { taskRunner, type TaskHandle } from "../tasks/runner";
import type { MigrationOptions, MigrationOutcome } from "./contract";
import { jobFigures, watchMigrationJob, type JobFigures } from "./job-progress";
import { MigrationCancelled, migrateManaged, type Phase } from "./managed-v3";
import { describeFlags, migrationFlags, migrationParams } from "./params";
import type { MigrationPlan } from "./preflight";
import { moveVmRecords } from "./vm-records";

/** How long to wait for the source's job-completed event after the move: it follows Confirm by milliseconds. */
const COMPLETED_EVENT_WAIT_MS = 2_000;

interface Move {
  vm: ResolvedVm;
  dest: ResolvedHost;
  options: MigrationOptions;
  plan: MigrationPlan;
  task: TaskHandle;
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Starts the migration as a `vm.migrate` task on the VM (its source host); `done` settles as the task ends. */
export function launchMigration(db: Db, user: SessionUser, vm: ResolvedVm, options: MigrationOptions, plan: MigrationPlan) {
  const uuid = uuidToString(vm.dom.uuid);
  return taskRunner(db).run(
    {
      kind: "vm.migrate",
      target: { hostId: vm.hostId, kind: "vm", name: vm.name, uuid },
      user,
      detail: options.destHostId,
      cancellable: plan.state !== "shutoff",
    },
    async (task): Promise<MigrationOutcome> => {
      const dest = resolveHost(db, options.destHostId);
      const figures = await move({ vm, dest, options, plan, task });
      moveVmRecords(db, uuid, vm.hostId, dest.id);
      publish({ type: "domain.migrated", hostId: vm.hostId, uuid, name: vm.name, toHostId: dest.id });
      task.log(`${vm.name} is on ${dest.context} now${describeFigures(figures)}`);
      return { destHostId: dest.id, ...figures };
    },
    (outcome) => ({ ...outcome }),
  );
}

function describeFigures(f: JobFigures): string {
  if (f.elapsedMs === null) return "";
  const parts = [`it took ${(f.elapsedMs / 1000).toFixed(2)} s`];
  if (f.downtimeMs !== null) parts.push(`the VM was paused for ${f.downtimeMs} ms`);
  if (f.dataBytes !== null) parts.push(`${(f.dataBytes / 1024 / 1024).toFixed(1)} MiB were sent`);
  return `: ${parts.join(", ")}`;
}

/** Runs the migration and answers libvirt's figures of the finished job. */
async function move(m: Move): Promise<JobFigures> {
  const { vm, dest, options, plan, task } = m;
  const flags = migrationFlags(options, plan.state);
  const how = options.mode === "p2p" ? `peer-to-peer (${vm.host.context}'s libvirtd drives it, reaching ${plan.peerUri})` : "driven by the manager";
  task.log(`Migrating ${vm.context} to ${dest.context}, ${how}: ${describeFlags(flags)}; memory to ${plan.migrateUri}`);
  if (options.bandwidthMiBps !== null) task.log(`Bandwidth limited to ${options.bandwidthMiBps} MiB/s`);
  const params = migrationParams({ name: vm.name, migrateUri: plan.migrateUri, bandwidthMiBps: options.bandwidthMiBps });
  const completed = completedEventOf(vm);
  try {
    const moved = await runSteps(m, flags, params).catch((err: unknown) => {
      throw failure(m, err);
    });
    if (plan.state === "shutoff") return { elapsedMs: null, downtimeMs: null, dataBytes: null };
    return await figuresOf(dest, moved, completed.figures);
  } finally {
    await completed.stop();
  }
}

/** Perform with the job watched (progress, cancel, post-copy); a cancel that came first skips it. */
function performWatched(m: Move) {
  return async (run: () => Promise<Buffer>): Promise<Buffer | "cancelled"> => {
    const watch = watchMigrationJob({ conn: m.vm.conn, dom: m.vm.dom, task: m.task, postCopy: m.options.postCopy });
    try {
      if (m.task.signal.aborted) return "cancelled";
      return await run();
    } finally {
      await watch.stop();
    }
  };
}

async function runSteps(m: Move, flags: ReturnType<typeof migrationFlags>, params: ReturnType<typeof migrationParams>): Promise<protocol.NonnullDomain | null> {
  const { vm, dest, task } = m;
  if (m.options.mode === "p2p") {
    task.log(`${vm.host.context} sends ${vm.name} to ${dest.context} and drives every step itself`);
    const performed = await performWatched(m)(() =>
      vm.conn.domainMigratePerform3Params({ dom: vm.dom, dconnuri: m.plan.peerUri, params: encodeTypedParams(params), cookieIn: EMPTY, flags }),
    );
    if (performed === "cancelled") throw new MigrationCancelled();
    task.setCancellable(false);
    return dest.conn.domainLookupByUuid({ uuid: vm.dom.uuid }).catch(() => null);
  }
  return migrateManaged({
    source: vm.conn,
    dom: vm.dom,
    dest: dest.conn,
    flags,
    params,
    onPhase: (phase, cancelled) => {
      if (phase === "finish" && !cancelled) task.setCancellable(false);
      task.log(phaseWords(m, phase, cancelled));
    },
    perform: performWatched(m),
    onCleanupError: (phase, err) => task.log(`${phase === "confirm" ? "Confirm" : "Finish"} failed: ${(err as Error).message}`),
  });
}

function phaseWords(m: Move, phase: Phase, cancelled: boolean): string {
  const source = m.vm.host.context;
  const dest = m.dest.context;
  const name = m.vm.name;
  switch (phase) {
    case "begin":
      return `Begin: ${source} describes ${name} for the move`;
    case "prepare":
      return `Prepare: ${dest} gets ready to receive ${name}`;
    case "perform":
      return `Perform: ${source} sends ${name} to ${dest}`;
    case "finish":
      return cancelled ? `Finish (cancelled): ${dest} drops its unfinished copy of ${name}` : `Finish: ${dest} takes ${name} over`;
    case "confirm":
      return cancelled ? `Confirm (cancelled): ${source} keeps ${name}` : `Confirm: ${source} lets go of ${name}`;
  }
}

/** A failed or cancelled migration in words naming both hosts; a cancel says where the VM is. */
function failure(m: Move, err: unknown): Error {
  const context = `${m.vm.context} → ${m.dest.context}`;
  if (m.task.signal.aborted) {
    const where = m.plan.state === "shutoff" ? "stays defined" : "keeps running";
    return new ServiceError(`${context}: migration cancelled; ${m.vm.name} ${where} on ${m.vm.host.context}`, "conflict");
  }
  return translateLibvirtError(`${context}: migration failed`, err) as Error;
}

/**
 * The source's job-completed event (time elapsed, downtime, data sent): libvirt removes the source's
 * VM at Confirm, after which its completed job statistics can no longer be asked for there.
 */
function completedEventOf(vm: ResolvedVm): { figures: Promise<JobFigures | null>; stop: () => Promise<void> } {
  let resolve: (f: JobFigures | null) => void = () => {};
  const figures = new Promise<JobFigures | null>((r) => (resolve = r));
  const unsubscribe = vm.conn
    .subscribeDomainEvents(
      (ev) => {
        if (ev.kind === "jobCompleted" && ev.dom.uuid.equals(vm.dom.uuid)) resolve(jobFigures(decodeTypedParams(ev.params)));
      },
      ["jobCompleted"],
    )
    .catch(() => null);
  return {
    figures,
    stop: async () => {
      resolve(null);
      await (
        await unsubscribe
      )?.();
    },
  };
}

/** The event's figures, else the destination's statistics of the completed incoming job. */
async function figuresOf(dest: ResolvedHost, moved: protocol.NonnullDomain | null, event: Promise<JobFigures | null>): Promise<JobFigures> {
  const timeout = new Promise<null>((r) => setTimeout(() => r(null), COMPLETED_EVENT_WAIT_MS).unref());
  const fromEvent = await Promise.race([event, timeout]);
  if (fromEvent) return fromEvent;
  const stats = moved ? await dest.conn.domainGetJobStats({ dom: moved, flags: VIR_DOMAIN_JOB_STATS_COMPLETED }).catch(() => null) : null;
  if (!stats || stats.type !== virDomainJobType.COMPLETED) return { elapsedMs: null, downtimeMs: null, dataBytes: null };
  return jobFigures(decodeTypedParams(stats.params));
}

import {
  VIR_DOMAIN_JOB_DATA_PROCESSED,
  VIR_DOMAIN_JOB_DATA_TOTAL,
  VIR_DOMAIN_JOB_DOWNTIME,
  VIR_DOMAIN_JOB_MEMORY_ITERATION,
  VIR_DOMAIN_JOB_TIME_ELAPSED,
  VIR_ERR_OPERATION_INVALID,
  hasErrorCode,
  virDomainJobType,
  type Connection,
  type protocol,
} from "../libvirt";
import { decodeTypedParams, type TypedParams } from "../libvirt/typed-params";
import type { TaskHandle } from "../tasks/runner";

/** How often the task reads the source's job statistics while the memory moves. */
export const JOB_POLL_MS = 500;

export interface JobProgress {
  bytesDone: number | null;
  bytesTotal: number | null;
  /**
   * Memory passes QEMU finished: its iteration counter counts dirty-bitmap syncs, the first at the
   * start, so passes done = iteration − 1 (virsh's --postcopy-after-precopy waits for iteration 2 alike).
   */
  passesDone: number | null;
}

function count(value: unknown): number | null {
  const n = typeof value === "bigint" ? Number(value) : typeof value === "number" ? value : NaN;
  return Number.isFinite(n) && n >= 0 ? n : null;
}

function passesDone(iteration: number | null): number | null {
  return iteration === null ? null : Math.max(0, iteration - 1);
}

/** A running migration job's statistics (domainGetJobStats) as task progress. */
export function jobProgress(stats: TypedParams): JobProgress {
  return {
    bytesDone: count(stats[VIR_DOMAIN_JOB_DATA_PROCESSED]),
    bytesTotal: count(stats[VIR_DOMAIN_JOB_DATA_TOTAL]),
    passesDone: passesDone(count(stats[VIR_DOMAIN_JOB_MEMORY_ITERATION])),
  };
}

export interface JobFigures {
  elapsedMs: number | null;
  downtimeMs: number | null;
  dataBytes: number | null;
}

/** A completed job's figures (VIR_DOMAIN_JOB_STATS_COMPLETED, or the job-completed event's parameters). */
export function jobFigures(stats: TypedParams): JobFigures {
  return {
    elapsedMs: count(stats[VIR_DOMAIN_JOB_TIME_ELAPSED]),
    downtimeMs: count(stats[VIR_DOMAIN_JOB_DOWNTIME]),
    dataBytes: count(stats[VIR_DOMAIN_JOB_DATA_PROCESSED]),
  };
}

const MiB = 1024 * 1024;

/** `memory pass 2 done: 181 of 384 MiB sent` */
export function describePass(progress: JobProgress): string {
  const sent =
    progress.bytesDone === null
      ? ""
      : `: ${Math.round(progress.bytesDone / MiB)}${progress.bytesTotal ? ` of ${Math.round(progress.bytesTotal / MiB)}` : ""} MiB sent`;
  return `Memory pass ${progress.passesDone} done${sent}`;
}

export interface WatchOptions {
  conn: Connection;
  dom: protocol.NonnullDomain;
  task: TaskHandle;
  /** Switch to post-copy after the first memory pass (domainMigrateStartPostCopy). */
  postCopy: boolean;
}

/**
 * Follows the source's migration job into the task every JOB_POLL_MS while the memory moves, and
 * turns a cancel into domainAbortJob (the source's Perform step then fails, and the VM keeps
 * running there). Past the switch to post-copy the VM runs on the destination and cannot come
 * back: the task stops being cancellable. `stop()` ends the watch once Perform returned.
 */
export function watchMigrationJob(options: WatchOptions): { stop: () => Promise<void> } {
  const { conn, dom, task } = options;
  let running = true;
  let postCopyStarted = false;
  let lastPass = 0;
  let wake = () => {};
  const abort = () => {
    if (!task.cancellable) return;
    task.log("Cancel asked for: aborting the migration job on the source");
    void conn.domainAbortJob({ dom }).catch((err: unknown) => {
      // The job ended between the cancel and the abort: Perform's own result says how.
      if (!hasErrorCode(err, VIR_ERR_OPERATION_INVALID)) task.log(`Aborting the job failed: ${(err as Error).message}`);
    });
    wake();
  };
  task.signal.addEventListener("abort", abort, { once: true });

  const poll = async () => {
    const stats = await conn.domainGetJobStats({ dom, flags: 0 }).catch(() => null);
    if (!stats || stats.type === virDomainJobType.NONE) return;
    const progress = jobProgress(decodeTypedParams(stats.params));
    if (progress.bytesTotal) task.progress({ bytesDone: progress.bytesDone, bytesTotal: progress.bytesTotal });
    if (progress.passesDone !== null && progress.passesDone > lastPass) {
      lastPass = progress.passesDone;
      task.log(describePass(progress));
    }
    if (options.postCopy && !postCopyStarted && lastPass >= 1 && !task.signal.aborted) {
      postCopyStarted = true;
      task.setCancellable(false);
      await conn.domainMigrateStartPostCopy({ dom, flags: 0 }).then(
        () => task.log("Switched to post-copy: the VM runs on the destination, which fetches the remaining memory"),
        (err: unknown) => {
          task.setCancellable(true);
          task.log(`Switching to post-copy failed, the migration goes on pre-copy: ${(err as Error).message}`);
        },
      );
    }
  };

  const loop = (async () => {
    while (running) {
      await poll();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, JOB_POLL_MS);
        wake = () => (clearTimeout(timer), resolve());
      });
    }
  })();

  return {
    stop: async () => {
      running = false;
      task.signal.removeEventListener("abort", abort);
      wake();
      await loop;
    },
  };
}

import { VIR_MIGRATE_OFFLINE, VIR_MIGRATE_PARAM_DEST_XML, VIR_MIGRATE_PARAM_URI, type Connection, type protocol, type VirDomainMigrateFlags } from "../libvirt";
import { encodeTypedParams, type TypedParamInput } from "../libvirt/typed-params";
import { destinationFlags, sourceFlags } from "./params";

/**
 * libvirt's migration protocol version 3 with extensible parameters, driven by the manager over
 * its own two connections — what libvirt's client library does in virDomainMigrateVersion3Full
 * (src/libvirt-domain.c) when `virsh migrate` is given two connections, step for step, with its
 * failure paths:
 *
 *   Begin3 (source) → Prepare3 (destination) → Perform3 (source) → Finish3 (destination) → Confirm3 (source)
 *
 * - Prepare fails: Confirm(cancelled) ends the migration job Begin started on the source.
 * - Perform fails (or was never started because of a cancel): Finish(cancelled) makes the
 *   destination drop its half-made VM. After a failed Perform the source already ended its job
 *   and resumed the VM, so — as libvirt — there is no Confirm; when Perform never ran, Confirm(cancelled)
 *   ends the source's job.
 * - Finish fails (no VM on the destination): Confirm(cancelled) resumes the VM on the source.
 * - Otherwise Confirm(done) stops the VM on the source (and undefines it with UNDEFINE_SOURCE).
 * - An offline migration has no Perform: Finish (with no cookie) defines the VM on the destination.
 *
 * The hosts need no access to each other's libvirtd: only the two QEMUs talk (the migration URI).
 */

export type Phase = "begin" | "prepare" | "perform" | "finish" | "confirm";

export interface ManagedMigration {
  source: Connection;
  dom: protocol.NonnullDomain;
  dest: Connection;
  flags: VirDomainMigrateFlags;
  params: Record<string, TypedParamInput>;
  /** Told when each step starts (`cancelled`: Finish and Confirm undoing the move), for the task's log and for when a cancel can still stop it. */
  onPhase: (phase: Phase, cancelled: boolean) => void;
  /**
   * Runs Perform (the source sends the VM): the caller watches the job and aborts it on a cancel.
   * Answers "cancelled" when a cancel came before Perform started: the migration is then cancelled like a failed Perform.
   */
  perform: (run: () => Promise<Buffer>) => Promise<Buffer | "cancelled">;
  /** Something went wrong in a clean-up step after the migration already failed: logged, never thrown. */
  onCleanupError: (phase: Phase, error: unknown) => void;
}

export class MigrationCancelled extends Error {
  constructor() {
    super("cancelled");
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

/** Runs the five steps; answers the VM on the destination, or throws the first step's error that made it fail. */
export async function migrateManaged(m: ManagedMigration): Promise<protocol.NonnullDomain> {
  const { source, dest, dom } = m;
  const srcFlags = sourceFlags(m.flags);
  const dstFlags = destinationFlags(m.flags);
  let params = { ...m.params };
  const confirm = async (cookieIn: Buffer, cancelled: boolean) => {
    m.onPhase("confirm", cancelled);
    await source.domainMigrateConfirm3Params({ dom, params: encodeTypedParams(params), cookieIn, flags: srcFlags, cancelled: cancelled ? 1 : 0 });
  };
  const cleanup = (phase: Phase, step: Promise<unknown>) => step.catch((err: unknown) => m.onCleanupError(phase, err));

  m.onPhase("begin", false);
  const begun = await source.domainMigrateBegin3Params({ dom, params: encodeTypedParams(params), flags: srcFlags });
  params = { ...params, [VIR_MIGRATE_PARAM_DEST_XML]: begun.xml };

  m.onPhase("prepare", false);
  let prepared: protocol.DomainMigratePrepare3ParamsRet;
  try {
    prepared = await dest.domainMigratePrepare3Params({ params: encodeTypedParams(params), cookieIn: begun.cookieOut, flags: dstFlags });
  } catch (err) {
    await cleanup("confirm", confirm(EMPTY, true));
    throw err;
  }
  // Prepare may say where the destination listens (the port it chose): Perform must use that.
  if (prepared.uriOut) params = { ...params, [VIR_MIGRATE_PARAM_URI]: prepared.uriOut };

  let performError: unknown = null;
  let notifySource = true;
  let finishCookie = EMPTY;
  // Offline, Finish gets no cookie (libvirt drops Prepare's: it is the destination's own, and the
  // destination refuses a cookie carrying its own host UUID as "migrate guest to the same host").
  if ((m.flags & VIR_MIGRATE_OFFLINE) === 0) {
    m.onPhase("perform", false);
    const performed = await m
      .perform(() =>
        source.domainMigratePerform3Params({ dom, dconnuri: null, params: encodeTypedParams(params), cookieIn: prepared.cookieOut, flags: srcFlags }),
      )
      .catch((err: unknown) => {
        performError = err;
        notifySource = false;
        return null;
      });
    if (performed === "cancelled") performError = new MigrationCancelled();
    else if (performed) finishCookie = performed;
  }

  const cancelled = performError !== null;
  m.onPhase("finish", cancelled);
  let finished: protocol.DomainMigrateFinish3ParamsRet | null = null;
  let finishError: unknown = null;
  try {
    finished = await dest.domainMigrateFinish3Params({
      params: encodeTypedParams(params),
      cookieIn: finishCookie,
      flags: dstFlags,
      cancelled: cancelled ? 1 : 0,
    });
  } catch (err) {
    // With cancelled set, the destination answers "no VM" as an error: that is the expected answer, not a new failure.
    if (!cancelled) finishError = err;
  }

  if (notifySource) {
    // A Confirm that fails after a good Finish leaves the VM paused on the source while it runs on the
    // destination (libvirt says the same and goes on): the migration itself succeeded.
    await cleanup("confirm", confirm(finished?.cookieOut ?? EMPTY, finished === null));
  }
  if (performError !== null) throw performError;
  if (finishError !== null || finished === null) throw finishError ?? new Error("the destination did not start the VM");
  return finished.dom;
}

import {
  VIR_MIGRATE_ABORT_ON_ERROR,
  VIR_MIGRATE_AUTO_CONVERGE,
  VIR_MIGRATE_CHANGE_PROTECTION,
  VIR_MIGRATE_LIVE,
  VIR_MIGRATE_NON_SHARED_DISK,
  VIR_MIGRATE_NON_SHARED_INC,
  VIR_MIGRATE_OFFLINE,
  VIR_MIGRATE_PARAM_BANDWIDTH,
  VIR_MIGRATE_PARAM_DEST_NAME,
  VIR_MIGRATE_PARAM_URI,
  VIR_MIGRATE_PAUSED,
  VIR_MIGRATE_PEER2PEER,
  VIR_MIGRATE_PERSIST_DEST,
  VIR_MIGRATE_POSTCOPY,
  VIR_MIGRATE_UNDEFINE_SOURCE,
  flagsOf,
  type VirDomainMigrateFlags,
} from "../libvirt";
import { typedParam, type TypedParamInput } from "../libvirt/typed-params";
import type { MigrationOptions } from "./contract";

/** How the VM is when it leaves: running (or blocked) and paused move live, shut off moves offline. */
export type SourceState = "running" | "paused" | "shutoff";

/**
 * The flags of one migration, from the sysadmin's options and the VM's state. A paused VM gets
 * VIR_MIGRATE_PAUSED so it stays paused on the destination (libvirt's virDomainMigrateVersion3Full
 * adds it the same way); an offline one gets OFFLINE instead of LIVE.
 */
export function migrationFlags(options: MigrationOptions, state: SourceState): VirDomainMigrateFlags {
  const live = state !== "shutoff";
  return flagsOf(
    live ? VIR_MIGRATE_LIVE : VIR_MIGRATE_OFFLINE,
    state === "paused" ? VIR_MIGRATE_PAUSED : 0,
    options.mode === "p2p" ? VIR_MIGRATE_PEER2PEER : 0,
    options.persistDest ? VIR_MIGRATE_PERSIST_DEST : 0,
    options.undefineSource ? VIR_MIGRATE_UNDEFINE_SOURCE : 0,
    options.copyStorage === "full" ? VIR_MIGRATE_NON_SHARED_DISK : 0,
    options.copyStorage === "incremental" ? VIR_MIGRATE_NON_SHARED_INC : 0,
    live && options.autoConverge ? VIR_MIGRATE_AUTO_CONVERGE : 0,
    live && options.postCopy ? VIR_MIGRATE_POSTCOPY : 0,
  );
}

/**
 * What the source's calls (Begin3, Perform3, Confirm3) get in the manager-driven protocol: the
 * flags plus CHANGE_PROTECTION, so the VM's definition cannot change between Begin and Confirm
 * (libvirt adds it when the source supports it; QEMU's driver always does).
 */
export function sourceFlags(flags: VirDomainMigrateFlags): VirDomainMigrateFlags {
  return flagsOf(flags, VIR_MIGRATE_CHANGE_PROTECTION);
}

/** What the destination's calls (Prepare3, Finish3) get: libvirt masks the flags only the source acts on. */
export function destinationFlags(flags: VirDomainMigrateFlags): VirDomainMigrateFlags {
  const sourceOnly = flagsOf(VIR_MIGRATE_ABORT_ON_ERROR, VIR_MIGRATE_AUTO_CONVERGE, VIR_MIGRATE_CHANGE_PROTECTION);
  return ((flags & ~sourceOnly) >>> 0) as VirDomainMigrateFlags;
}

export interface ParamsInput {
  /** The VM's name, kept on the destination. */
  name: string;
  /** tcp://<address>: where the destination's QEMU listens, as the source's QEMU reaches it. */
  migrateUri: string;
  bandwidthMiBps: number | null;
}

/** The typed parameters every step gets (the steps add DEST_XML and a changed URI themselves). */
export function migrationParams(input: ParamsInput): Record<string, TypedParamInput> {
  const params: Record<string, TypedParamInput> = {
    [VIR_MIGRATE_PARAM_URI]: input.migrateUri,
    [VIR_MIGRATE_PARAM_DEST_NAME]: input.name,
  };
  if (input.bandwidthMiBps !== null) params[VIR_MIGRATE_PARAM_BANDWIDTH] = typedParam.ullong(BigInt(input.bandwidthMiBps));
  return params;
}

/** The flags in words, for the task's log (`live, persist on destination, undefine source`). */
export function describeFlags(flags: number): string {
  const words: [number, string][] = [
    [VIR_MIGRATE_LIVE, "live"],
    [VIR_MIGRATE_OFFLINE, "offline"],
    [VIR_MIGRATE_PAUSED, "stays paused"],
    [VIR_MIGRATE_PEER2PEER, "peer-to-peer"],
    [VIR_MIGRATE_PERSIST_DEST, "persist on destination"],
    [VIR_MIGRATE_UNDEFINE_SOURCE, "undefine source"],
    [VIR_MIGRATE_NON_SHARED_DISK, "copy storage (full)"],
    [VIR_MIGRATE_NON_SHARED_INC, "copy storage (incremental)"],
    [VIR_MIGRATE_AUTO_CONVERGE, "auto-converge"],
    [VIR_MIGRATE_POSTCOPY, "post-copy"],
  ];
  return words
    .filter(([flag]) => (flags & flag) !== 0)
    .map(([, word]) => word)
    .join(", ");
}

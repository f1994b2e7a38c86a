/**
 * Live and offline migration's words (issue 14 item 3), free of server code so client components
 * can import them. See server/migration/README.md for how a migration runs.
 */
import { z } from "zod";
import { hostIdSchema } from "../identifiers";

/**
 * managed: the manager drives libvirt's v3 protocol over its own two connections (Begin3 → Prepare3 →
 * Perform3 → Finish3 → Confirm3, with params): the hosts need no credentials for each other.
 * p2p: the source libvirtd connects to the destination's itself (VIR_MIGRATE_PEER2PEER).
 */
export const MIGRATION_MODES = ["managed", "p2p"] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

/** none: the disks are on storage both hosts see; full / incremental: copied during the migration (copy-storage-all / -inc). */
export const COPY_STORAGE = ["none", "full", "incremental"] as const;
export type CopyStorage = (typeof COPY_STORAGE)[number];

export const MAX_BANDWIDTH_MIBPS = 100_000;

export const migrationOptionsSchema = z.object({
  destHostId: hostIdSchema,
  mode: z.enum(MIGRATION_MODES).default("managed"),
  copyStorage: z.enum(COPY_STORAGE).default("none"),
  /** MiB/s; null: as fast as the link goes. */
  bandwidthMiBps: z.number().int().min(1).max(MAX_BANDWIDTH_MIBPS).nullable().default(null),
  autoConverge: z.boolean().default(false),
  postCopy: z.boolean().default(false),
  /** Defaults as the issue asks: LIVE | PERSIST_DEST | UNDEFINE_SOURCE (live only when the VM runs). */
  persistDest: z.boolean().default(true),
  undefineSource: z.boolean().default(true),
});
export type MigrationOptions = z.infer<typeof migrationOptionsSchema>;

/** What the pre-flight looks at, in the order the dialog shows them. */
export const PREFLIGHT_CHECKS = ["destination", "state", "name", "cpu", "memory", "storage", "network"] as const;
export type PreflightCheckId = (typeof PREFLIGHT_CHECKS)[number];

export interface PreflightCheck {
  id: PreflightCheckId;
  /** error: the migration would fail (it is refused); warning: it can go on, the sysadmin should know. */
  status: "ok" | "warning" | "error";
  /** Plain words naming the VM, hosts and what was found (`host "b" has 812 MiB free; VM "web-1" needs 1024 MiB`). */
  message: string;
}

export interface PreflightResult {
  /** true: the VM runs and moves live; false: it is shut off and moves offline (its definition and, with copy, its disks). */
  live: boolean;
  checks: PreflightCheck[];
  /** No check is an error. */
  ok: boolean;
}

/** What a finished migration's task keeps (TaskResult: a few named scalars). */
export interface MigrationOutcome {
  destHostId: string;
  /** libvirt's job figures of the source; null where it did not report them (offline migration). */
  elapsedMs: number | null;
  downtimeMs: number | null;
  dataBytes: number | null;
}

export const evacuateInputSchema = z.object({ destHostId: hostIdSchema, mode: z.enum(MIGRATION_MODES).default("managed") });

/** The words of a backup row (server/backups/), free of database and server code so the schema, services and pages can import them. */

/** full: every disk copied whole; incremental: only the clusters changed since the parent backup's checkpoint. */
export const BACKUP_KINDS = ["full", "incremental"] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** running: being written; succeeded: a valid backup; failed, cancelled: its files were removed, it never counts. */
export const BACKUP_STATES = ["running", "succeeded", "failed", "cancelled"] as const;
export type BackupState = (typeof BACKUP_STATES)[number];

/** consistent: the guest's filesystems were frozen at the copy's point in time; crash-consistent: as after a power cut. */
export const BACKUP_CONSISTENCIES = ["consistent", "crash-consistent"] as const;
export type BackupConsistency = (typeof BACKUP_CONSISTENCIES)[number];

/** The outcome of the last verification: every file's SHA-256 against the manifest and `qemu-img check` of each disk image. */
export const BACKUP_VERIFY_STATES = ["ok", "failed"] as const;
export type BackupVerifyState = (typeof BACKUP_VERIFY_STATES)[number];

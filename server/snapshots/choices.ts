// Which snapshot a VM can take now, shared by the snapshot form (what it offers and why) and the
// server (what it refuses). No imports: client code loads this module.
//
// Only internal snapshots are offered: libvirt 9.0 cannot revert an external (overlay) snapshot,
// and deleting one of a running VM fails ("could not find base disk source"), so an external
// snapshot could never be undone or removed from here. A running VM's disks without its memory
// can only be snapshotted externally; so a running VM gets disk+memory, a stopped VM disk only.

export type SnapshotKind = "memory" | "disk";

export interface SnapshotDiskFacts {
  device: string;
  target: string;
  format: string | null;
  readonly: boolean;
}

export interface SnapshotChoice {
  /** What can be taken now: at most one kind. */
  kind: SnapshotKind | null;
  /** Why only this kind (or why none), in words for the form and the server's refusal. */
  reason: string;
}

/** `active`: the VM has a QEMU process (running, paused, blocked). */
export function snapshotChoice(active: boolean, disks: readonly SnapshotDiskFacts[]): SnapshotChoice {
  const writable = disks.filter((d) => d.device === "disk" && !d.readonly);
  if (writable.length === 0) return { kind: null, reason: "The VM has no writable disk to snapshot." };
  const notQcow2 = writable.filter((d) => d.format !== "qcow2");
  if (notQcow2.length) {
    const list = notQcow2.map((d) => `${d.target} (${d.format ?? "unknown format"})`).join(", ");
    return { kind: null, reason: `Snapshots are kept inside qcow2 disks, and ${list} is not qcow2.` };
  }
  return active
    ? {
        kind: "memory",
        reason:
          "The VM is running, so its snapshot holds disks and memory and resumes exactly where it was. A disk-only snapshot of a running VM could not be reverted or deleted: shut the VM down to take one.",
      }
    : { kind: "disk", reason: "The VM is shut off, so its snapshot holds its disks only (there is no memory to save)." };
}

/** The server's refusal of a snapshot the VM cannot take now, or null when `wanted` is the one it can. */
export function refuseSnapshot(active: boolean, disks: readonly SnapshotDiskFacts[], wanted: SnapshotKind): string | null {
  const choice = snapshotChoice(active, disks);
  // The form shows the reason as a sentence; the server's message goes after "VM …: snapshot …: ".
  if (choice.kind === null) return choice.reason.charAt(0).toLowerCase() + choice.reason.slice(1, -1);
  if (choice.kind === wanted) return null;
  return wanted === "disk"
    ? "a disk-only snapshot of a running VM would be an external overlay that cannot be reverted or deleted; shut the VM down for a disk-only snapshot, or take a disk+memory snapshot"
    : "the VM is not running, so there is no memory state to save; take a disk-only snapshot";
}

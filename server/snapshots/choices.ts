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

/**
 * Why only this kind (or why none), as a code: the form words it in the user's language
 * (vmSnapshots.reason), the server's refusal in English.
 */
export type SnapshotReason =
  { code: "noWritableDisk" } | { code: "notQcow2"; disks: { target: string; format: string | null }[] } | { code: "running" } | { code: "shutOff" };

export interface SnapshotChoice {
  /** What can be taken now: at most one kind. */
  kind: SnapshotKind | null;
  reason: SnapshotReason;
}

/** `active`: the VM has a QEMU process (running, paused, blocked). */
export function snapshotChoice(active: boolean, disks: readonly SnapshotDiskFacts[]): SnapshotChoice {
  const writable = disks.filter((d) => d.device === "disk" && !d.readonly);
  if (writable.length === 0) return { kind: null, reason: { code: "noWritableDisk" } };
  const notQcow2 = writable.filter((d) => d.format !== "qcow2");
  if (notQcow2.length) return { kind: null, reason: { code: "notQcow2", disks: notQcow2.map((d) => ({ target: d.target, format: d.format })) } };
  return active ? { kind: "memory", reason: { code: "running" } } : { kind: "disk", reason: { code: "shutOff" } };
}

/** The server's refusal of a snapshot the VM cannot take now, or null when `wanted` is the one it can. */
export function refuseSnapshot(active: boolean, disks: readonly SnapshotDiskFacts[], wanted: SnapshotKind): string | null {
  const choice = snapshotChoice(active, disks);
  // The server's message goes after "VM …: snapshot …: ".
  if (choice.reason.code === "noWritableDisk") return "the VM has no writable disk to snapshot";
  if (choice.reason.code === "notQcow2") {
    const list = choice.reason.disks.map((d) => `${d.target} (${d.format ?? "unknown format"})`).join(", ");
    return `snapshots are kept inside qcow2 disks, and ${list} is not qcow2`;
  }
  if (choice.kind === wanted) return null;
  return wanted === "disk"
    ? "a disk-only snapshot of a running VM would be an external overlay that cannot be reverted or deleted; shut the VM down for a disk-only snapshot, or take a disk+memory snapshot"
    : "the VM is not running, so there is no memory state to save; take a disk-only snapshot";
}

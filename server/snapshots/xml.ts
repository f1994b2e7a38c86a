import { ATTR, attr, buildXml, child, children, parseXml, textOf, type XmlNode } from "../xml/codec";

/** Pure build and parse of libvirt's domain snapshot XML, and the snapshot tree. */

export interface SnapshotBuildSpec {
  name: string;
  description?: string;
  /**
   * `internal`: the running VM's memory goes into its qcow2 disks with theirs (savevm); `none`: disks
   * only. Left out, libvirt decides from the flags and the VM's state.
   */
  memory?: "internal" | "none";
}

export function buildSnapshotXml(spec: SnapshotBuildSpec): string {
  const snapshot: XmlNode = {
    name: spec.name,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.memory ? { memory: { [`${ATTR}snapshot`]: spec.memory === "internal" ? "internal" : "no" } } : {}),
  };
  return buildXml({ domainsnapshot: snapshot });
}

export interface SnapshotDisk {
  /** The disk's target (vda) or path. */
  name: string;
  /** internal, external, no, manual. */
  snapshot: string;
  /** An external snapshot's overlay file. */
  file: string | null;
}

/**
 * Whether the snapshot's disks can be used as they are. `memory`: the guest's RAM was saved with
 * them (savevm pauses the VM), so reverting resumes the guest exactly: nothing half-written.
 * `shutOff`: no guest was writing. `crash`: a running VM's disks without its memory (an external
 * disk-only snapshot, which the manager never takes — see choices.ts — so one made elsewhere, with
 * no record of a filesystem freeze): like pulling the power cord.
 */
export type SnapshotConsistency = "memory" | "shutOff" | "crash";

export function snapshotConsistency(state: string, memory: string): SnapshotConsistency {
  if (memory !== "no") return "memory";
  return state === "shutoff" ? "shutOff" : "crash";
}

export interface SnapshotXmlInfo {
  name: string;
  description: string | null;
  /** The VM's state when taken: running, paused, shutoff, disk-snapshot… */
  state: string;
  parent: string | null;
  /** ISO 8601. */
  createdAt: string | null;
  /** internal, external or no. */
  memory: string;
  disks: SnapshotDisk[];
  /** Internal (inside the qcow2 files) or external (overlay files): libvirt 9.0 cannot revert external ones. */
  location: "internal" | "external";
  consistency: SnapshotConsistency;
}

export function parseSnapshotXml(xml: string): SnapshotXmlInfo {
  const snap = child(parseXml(xml, "domain snapshot XML"), "domainsnapshot");
  if (!snap) throw new Error("domain snapshot XML has no <domainsnapshot> root");
  const created = Number(textOf(snap.creationTime) ?? "NaN");
  const memory = attr(child(snap, "memory"), "snapshot") ?? (textOf(snap.state) === "disk-snapshot" || textOf(snap.state) === "shutoff" ? "no" : "internal");
  const disks = children(child(snap, "disks"), "disk").map((d) => ({
    name: attr(d, "name") ?? "",
    snapshot: attr(d, "snapshot") ?? "",
    file: attr(child(d, "source"), "file") ?? null,
  }));
  const external = memory === "external" || disks.some((d) => d.snapshot === "external");
  return {
    name: textOf(snap.name) ?? "",
    description: textOf(snap.description) ?? null,
    state: textOf(snap.state) ?? "",
    parent: textOf(child(snap, "parent")?.name) ?? null,
    createdAt: Number.isFinite(created) ? new Date(created * 1000).toISOString() : null,
    memory,
    disks,
    location: external ? "external" : "internal",
    consistency: snapshotConsistency(textOf(snap.state) ?? "", memory),
  };
}

export interface SnapshotNode extends SnapshotXmlInfo {
  current: boolean;
  /** Names of the snapshots taken from this one, oldest first. */
  children: string[];
  /** Steps from its root (0 for a root), for indenting a tree view. */
  depth: number;
}

/**
 * Orders snapshots as a tree walked depth-first (each parent before its children, siblings by
 * creation time) and fills in children, depth and which one is current.
 */
export function snapshotTree(snapshots: SnapshotXmlInfo[], current: string | null): SnapshotNode[] {
  const byTime = [...snapshots].sort((a, b) => (a.createdAt ?? "").localeCompare(b.createdAt ?? "") || a.name.localeCompare(b.name));
  const names = new Set(byTime.map((s) => s.name));
  const kids = new Map<string, SnapshotXmlInfo[]>();
  const roots: SnapshotXmlInfo[] = [];
  for (const s of byTime) {
    if (s.parent && names.has(s.parent)) kids.set(s.parent, [...(kids.get(s.parent) ?? []), s]);
    else roots.push(s);
  }
  const out: SnapshotNode[] = [];
  const seen = new Set<string>();
  const walk = (s: SnapshotXmlInfo, depth: number) => {
    if (seen.has(s.name)) return;
    seen.add(s.name);
    const own = kids.get(s.name) ?? [];
    out.push({ ...s, current: s.name === current, children: own.map((k) => k.name), depth });
    for (const k of own) walk(k, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

/** The snapshot and every snapshot below it in the tree. */
export function subtree(nodes: SnapshotNode[], name: string): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n)) return;
    out.push(n);
    for (const k of byName.get(n)?.children ?? []) visit(k);
  };
  if (byName.has(name)) visit(name);
  return out;
}

/**
 * The files a snapshot names as the VM's: the overlays an external snapshot created, and the disks
 * (writable, file or block) of the VM's definition saved with it, which that snapshot's overlays sit on.
 */
export function snapshotOwnFiles(xml: string): string[] {
  const snap = child(parseXml(xml, "domain snapshot XML"), "domainsnapshot");
  const overlays = children(child(snap, "disks"), "disk")
    .filter((d) => attr(d, "snapshot") === "external")
    .map((d) => attr(child(d, "source"), "file") ?? attr(child(d, "source"), "dev"));
  const saved = children(child(child(snap, "domain"), "devices"), "disk")
    .filter((d) => (attr(d, "device") ?? "disk") === "disk" && !("readonly" in d))
    .map((d) => attr(child(d, "source"), "file") ?? attr(child(d, "source"), "dev"));
  return [...new Set([...overlays, ...saved].filter((p): p is string => Boolean(p)))];
}

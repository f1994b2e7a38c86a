/**
 * The guest figures a tick carries, from our agent's `telemetry` notifications. A guest is an
 * untrusted peer: the session already drops malformed or too frequent notifications, and this
 * keeps only the few numbers a sample stores, each checked to be finite and within its range,
 * so a guest cannot put a huge, negative or non-numeric value into history, alerts or browsers.
 */
import { z } from "zod";
import { LIST_MAX, TEXT_MAX } from "@/agent/protocol/bounds";
import type { GuestFilesystemUse } from "./sample";
import type { GuestFigures } from "./rates";

/** As sample.ts promises and the protocol bounds (agent/protocol/bounds.ts): at most this many filesystems, mount points at most this long. */
export const MAX_GUEST_FILESYSTEMS = LIST_MAX.telemetryFilesystems;
export const MAX_MOUNT_CHARS = TEXT_MAX.name;
/** Telemetry older than this many of its own intervals (or the floor below) is no longer current. */
const STALE_INTERVALS = 3;
const STALE_FLOOR_MS = 30_000;
/** An agent claiming a longer interval than this is treated as sending this often (stale sooner). */
const MAX_INTERVAL_MS = 10 * 60_000;

const finite = z.number().finite();
const percent = finite.min(0).max(100);
const bytes = finite.min(0);

/** Only the fields a sample keeps; anything else the guest sends is ignored, not stored. */
const telemetryFigures = z.object({
  interval_ms: finite.min(0).optional(),
  cpu: z.object({ percent }).optional(),
  memory: z.object({ total_bytes: bytes, available_bytes: bytes }).optional(),
  filesystems: z.array(z.unknown()).optional(),
});

const filesystemUse = z.object({ mount: z.string().min(1).max(MAX_MOUNT_CHARS), used_percent: percent });

function filesystemsOf(raw: unknown[] | undefined): GuestFilesystemUse[] {
  const out: GuestFilesystemUse[] = [];
  for (const entry of raw ?? []) {
    if (out.length >= MAX_GUEST_FILESYSTEMS) break;
    const parsed = filesystemUse.safeParse(entry);
    if (parsed.success) out.push({ mount: parsed.data.mount, usedPercent: parsed.data.used_percent });
  }
  return out;
}

/** The figures of one telemetry notification, or null when it carries none the sample can use. */
export function guestFiguresFrom(raw: unknown, receivedAt: number): GuestFigures | null {
  const parsed = telemetryFigures.safeParse(raw);
  if (!parsed.success) return null;
  const t = parsed.data;
  const memory = t.memory && t.memory.total_bytes > 0 && t.memory.available_bytes <= t.memory.total_bytes ? t.memory : null;
  const figures: GuestFigures = {
    receivedAt,
    intervalMs: Math.min(MAX_INTERVAL_MS, t.interval_ms ?? 0),
    cpuPercent: t.cpu?.percent ?? null,
    memoryPercent: memory ? ((memory.total_bytes - memory.available_bytes) / memory.total_bytes) * 100 : null,
    filesystems: filesystemsOf(t.filesystems),
  };
  return figures.cpuPercent === null && figures.memoryPercent === null && figures.filesystems.length === 0 ? null : figures;
}

export function isCurrent(figures: GuestFigures, now: number): boolean {
  return now - figures.receivedAt <= Math.max(STALE_FLOOR_MS, STALE_INTERVALS * figures.intervalMs);
}

/**
 * The latest figures of each guest, fed by the guest hub's `telemetry` events. Bounded by the
 * VMs that exist: a VM's entry is replaced by its next notification and dropped when the
 * collector no longer sees the VM (`retain`).
 */
export class GuestTelemetryStore {
  private readonly latest = new Map<string, GuestFigures>();

  record(hostId: string, uuid: string, raw: unknown, receivedAt: number): void {
    const figures = guestFiguresFrom(raw, receivedAt);
    if (figures) this.latest.set(`${hostId}/${uuid}`, figures);
  }

  /** Current figures of one guest; null without telemetry or when it has gone stale. */
  get(hostId: string, uuid: string, now: number): GuestFigures | null {
    const figures = this.latest.get(`${hostId}/${uuid}`);
    return figures && isCurrent(figures, now) ? figures : null;
  }

  /** Forgets the guests of a host that are not in `uuids` (deleted VMs). */
  retain(hostId: string, uuids: ReadonlySet<string>): void {
    for (const key of this.latest.keys()) {
      const slash = key.indexOf("/");
      if (key.slice(0, slash) === hostId && !uuids.has(key.slice(slash + 1))) this.latest.delete(key);
    }
  }
}

/**
 * The rules' history input, read from the metrics history's 1-hour rollups (server/metrics/history.ts;
 * layout in server/db/schema.ts, "Metrics history"): each VM's hours of the last 7 days and the start
 * of its oldest hour. One indexed range read per VM, on the rollup table's key (subject × 2³² + minute).
 */
import type { Db } from "@/server/db/client";
import { metricColumn } from "@/server/db/schema";
import { rollupRowId } from "@/server/metrics/history";
import { DAY_MS, type HourFigures, type VmHistoryInput } from "./rules";
import { HISTORY_DAYS_NEEDED } from "./kinds";

/** The longest window a rule reads. */
export const HISTORY_WINDOW_DAYS = Math.max(...Object.values(HISTORY_DAYS_NEEDED));

const col = metricColumn;
const HOURS_SQL = `SELECT at, ${col("vm.cpu")}_avg AS cpuAvg, ${col("vm.cpu")}_max AS cpuMax, ${col("vm.memory.used")}_avg AS used, ${col("vm.memory.total")}_avg AS total,
  ${col("vm.guest.memory")}_avg AS guestMemory, ${col("vm.guest.filesystem")}_avg AS filesystem
  FROM metric_1h WHERE id >= ? AND id < ? ORDER BY id`;

interface HourRow {
  at: number;
  cpuAvg: number | null;
  cpuMax: number | null;
  used: number | null;
  total: number | null;
  guestMemory: number | null;
  filesystem: number | null;
}

const NO_HISTORY: VmHistoryInput = { since: null, hours: [] };

const vmKey = (hostId: string, uuid: string) => `${hostId}\0${uuid.toLowerCase()}`;

/**
 * A reader of each VM's hourly history for the window ending at `now`, by `hostId` + `uuid`: each call
 * is one VM's reads (about half a millisecond), so a caller can yield between VMs.
 */
export function readVmHistory(db: Db, now: number): (hostId: string, uuid: string) => VmHistoryInput {
  const sqlite = db.$client;
  const subjects = sqlite.prepare("SELECT id, host_id AS hostId, uuid FROM metric_subjects WHERE kind = 'vm'").all() as {
    id: number;
    hostId: string;
    uuid: string;
  }[];
  const hours = sqlite.prepare(HOURS_SQL);
  const oldest = sqlite.prepare("SELECT at FROM metric_1h WHERE id >= ? AND id < ? ORDER BY id LIMIT 1");
  const from = now - HISTORY_WINDOW_DAYS * DAY_MS;
  const subjectOf = new Map(subjects.map((s) => [vmKey(s.hostId, s.uuid), s.id]));
  return (hostId, uuid) => {
    const id = subjectOf.get(vmKey(hostId, uuid));
    if (id === undefined) return NO_HISTORY;
    const first = oldest.get(rollupRowId(id, 0), rollupRowId(id + 1, 0)) as { at: number } | undefined;
    if (!first) return NO_HISTORY;
    const rows = hours.all(rollupRowId(id, from), rollupRowId(id, now) + 1) as HourRow[];
    return { since: first.at, hours: rows.map(toHour) };
  };
}

function toHour(row: HourRow): HourFigures {
  const balloon = row.used !== null && row.total !== null && row.total > 0 ? (row.used / row.total) * 100 : null;
  return { at: row.at, cpuAvg: row.cpuAvg, cpuMax: row.cpuMax, memoryPercent: row.guestMemory ?? balloon, filesystemPercent: row.filesystem };
}

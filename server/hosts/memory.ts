import { hasErrorCode, VIR_ERR_NO_SUPPORT, VIR_NODE_MEMORY_STATS_ALL_CELLS, type Connection } from "../libvirt";
import { hostMemory } from "../metrics/rates";

/**
 * The host's memory as /proc/meminfo has it (what `free` and the collector's charts show), page
 * cache counted as free. nodeGetInfo's figure is the NUMA cells' sum, which on a host with memory
 * outside them (the machine this was written on: 11 of 24 GiB) disagreed with the chart beside it.
 * Null where the driver has no memory stats (libvirt's test driver): nodeGetInfo's figure then.
 */
export async function nodeMemory(conn: Pick<Connection, "nodeGetMemoryStats">): Promise<{ total: number; free: number } | null> {
  try {
    const { nparams } = await conn.nodeGetMemoryStats({ nparams: 0, cellNum: VIR_NODE_MEMORY_STATS_ALL_CELLS, flags: 0 });
    const { params } = await conn.nodeGetMemoryStats({ nparams, cellNum: VIR_NODE_MEMORY_STATS_ALL_CELLS, flags: 0 });
    const memory = hostMemory(params);
    const total = memory["host.memory.total"];
    const used = memory["host.memory.used"];
    return total === null || used === null ? null : { total, free: total - used };
  } catch (err) {
    if (hasErrorCode(err, VIR_ERR_NO_SUPPORT)) return null;
    throw err;
  }
}

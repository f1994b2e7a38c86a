import { readdir, readFile, writeFile } from "../../fs-async";
import path from "node:path";

/**
 * Brings hot-plugged vCPUs and memory blocks online. When the host adds a vCPU (ACPI CPU hot-plug)
 * or a memory DIMM, the guest kernel creates the device offline unless a udev rule or the kernel's
 * auto-online policy onlines it, which many distributions (Debian among them) do not ship. Writing 1
 * to a device's `online` file is what `chcpu -e` and the RHEL udev rule do.
 */

export interface HotplugResult {
  /** CPU numbers (cpuN) this call brought online, ascending. */
  cpus_onlined: number[];
  /** Memory block numbers (memoryN) this call brought online, ascending. */
  memory_onlined: number[];
  /** Devices the kernel refused to online (busy, no memory for its memmap…), with its words. */
  failed: Array<{ device: string; error: string }>;
  /** Online CPUs after the call. */
  cpus_online: number;
  /** Online memory blocks after the call, and the block size, so the host can tell the memory online. */
  memory_blocks_online: number;
  memory_block_bytes: number | null;
}

/** Devices at most; a guest has far fewer CPUs, and 4096 memory blocks of 128 MiB are 512 GiB. */
export const HOTPLUG_DEVICES_MAX = 8192;
/** Refusals reported at most; the counts still say how many devices stayed offline. */
export const HOTPLUG_FAILED_MAX = 64;

async function numbered(dir: string, prefix: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b)
    .slice(0, HOTPLUG_DEVICES_MAX);
}

async function readTrimmed(file: string): Promise<string | null> {
  return readFile(file, "utf8").then(
    (t) => t.trim(),
    () => null,
  );
}

/** Writes a sysfs attribute; the kernel's refusal (EBUSY, EINVAL, ENOMEM) is the write's error. */
export type SysfsWrite = (file: string, value: string) => Promise<void>;

/** Onlines every offline cpuN and memoryN under `sysRoot` (/sys; tests give a temp tree and a write that can refuse). */
export async function onlineHotplugged(sysRoot = "/sys", write: SysfsWrite = (file, value) => writeFile(file, value)): Promise<HotplugResult> {
  const result: HotplugResult = { cpus_onlined: [], memory_onlined: [], failed: [], cpus_online: 0, memory_blocks_online: 0, memory_block_bytes: null };
  const cpuDir = path.join(sysRoot, "devices/system/cpu");
  for (const n of await numbered(cpuDir, "cpu")) {
    const file = path.join(cpuDir, `cpu${n}`, "online");
    // No `online` file: a CPU that cannot go offline (the boot CPU), so always online.
    const state = await readTrimmed(file);
    if (state === "0") {
      if (await online(write, file, `cpu${n}`, result)) result.cpus_onlined.push(n);
      else continue;
    }
    result.cpus_online++;
  }
  const memoryDir = path.join(sysRoot, "devices/system/memory");
  const blockSize = await readTrimmed(path.join(memoryDir, "block_size_bytes"));
  result.memory_block_bytes = blockSize && /^[0-9a-fA-F]+$/.test(blockSize) ? Number.parseInt(blockSize, 16) : null;
  for (const n of await numbered(memoryDir, "memory")) {
    const file = path.join(memoryDir, `memory${n}`, "online");
    const state = await readTrimmed(file);
    if (state === "0") {
      if (await online(write, file, `memory${n}`, result)) result.memory_onlined.push(n);
      else continue;
    }
    if (state !== null) result.memory_blocks_online++;
  }
  return result;
}

async function online(write: SysfsWrite, file: string, device: string, result: HotplugResult): Promise<boolean> {
  try {
    await write(file, "1");
    return true;
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (result.failed.length < HOTPLUG_FAILED_MAX) result.failed.push({ device, error: `${err.code ?? "error"}: ${err.message}`.slice(0, 512) });
    return false;
  }
}

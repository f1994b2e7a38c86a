import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { methods } from "../../../protocol/methods";
import { onlineHotplugged } from "./hotplug";

/** A /sys tree as a guest shows it after the host plugged cpu2 and memory block 33 (both offline). */
async function sysTree(root: string): Promise<void> {
  const put = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  };
  // cpu0 has no `online` file: the boot CPU cannot go offline.
  await mkdir(path.join(root, "devices/system/cpu/cpu0"), { recursive: true });
  await put("devices/system/cpu/cpu1/online", "1\n");
  await put("devices/system/cpu/cpu2/online", "0\n");
  // Not CPUs: sysfs keeps other entries beside them.
  await put("devices/system/cpu/online", "0-1\n");
  await mkdir(path.join(root, "devices/system/cpu/cpufreq"), { recursive: true });
  await put("devices/system/memory/block_size_bytes", "8000000\n");
  for (const n of [0, 1, 32]) await put(`devices/system/memory/memory${n}/online`, "1\n");
  await put("devices/system/memory/memory33/online", "0\n");
}

describe("online_hotplugged", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "kvmm-sys-"));
  });
  after(() => rm(root, { recursive: true, force: true }));

  it("writes 1 to the online file of each offline CPU and memory block, and answers what it onlined and what is online now", async () => {
    const sys = path.join(root, "plugged");
    await sysTree(sys);
    const result = await onlineHotplugged(sys);
    assert.deepEqual(result, {
      cpus_onlined: [2],
      memory_onlined: [33],
      failed: [],
      cpus_online: 3,
      memory_blocks_online: 4,
      memory_block_bytes: 128 * 1024 * 1024,
    });
    assert.equal(await readFile(path.join(sys, "devices/system/cpu/cpu2/online"), "utf8"), "1");
    assert.equal(await readFile(path.join(sys, "devices/system/memory/memory33/online"), "utf8"), "1");
    assert.ok(methods.online_hotplugged.result.safeParse(result).success, "the answer passes the protocol's schema");
    // Nothing left to do: a second call onlines nothing and counts the same.
    assert.deepEqual(await onlineHotplugged(sys), { ...result, cpus_onlined: [], memory_onlined: [] });
  });

  it("a block the kernel refuses is reported with its error and not counted online; the rest still come up", async () => {
    const sys = path.join(root, "refused");
    await sysTree(sys);
    const write = async (file: string, value: string) => {
      if (file.includes("memory33")) throw Object.assign(new Error("EBUSY: resource busy or locked, write"), { code: "EBUSY" });
      await writeFile(file, value);
    };
    const result = await onlineHotplugged(sys, write);
    assert.deepEqual(result.cpus_onlined, [2]);
    assert.deepEqual(result.memory_onlined, []);
    assert.deepEqual(result.failed, [{ device: "memory33", error: "EBUSY: EBUSY: resource busy or locked, write" }]);
    assert.equal(result.memory_blocks_online, 3);
  });

  it("a guest without the sysfs directories (a container, another OS layout) answers zero, not an error", async () => {
    assert.deepEqual(await onlineHotplugged(path.join(root, "empty")), {
      cpus_onlined: [],
      memory_onlined: [],
      failed: [],
      cpus_online: 0,
      memory_blocks_online: 0,
      memory_block_bytes: null,
    });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DiskUsage } from "../../protocol/index";
import { methods } from "../../protocol/methods";
import { filesystemUse } from "./filesystem-use";

type Filesystem = DiskUsage["filesystems"][number];
const GiB = 1024 ** 3;
const fs = (mountpoint: string, fields: Partial<Filesystem>): Filesystem => ({
  ...methods.get_disk_usage.example.result.filesystems[0]!,
  mountpoint,
  ...fields,
});

describe("filesystem use for telemetry", () => {
  it("counts used against used + available as df does, leaves out read-only and sizeless filesystems, fullest first", () => {
    const use = filesystemUse([
      // 5 % reserved for root: 9 of 10 GiB used, 0.5 GiB available to others → 94.7 %, not 90 %.
      fs("/", { total_bytes: 10 * GiB, used_bytes: 9 * GiB, free_bytes: 1 * GiB, available_bytes: 0.5 * GiB }),
      fs("/snap/core22/1380", { fstype: "squashfs", read_only: true, total_bytes: GiB, used_bytes: GiB, free_bytes: 0, available_bytes: 0 }),
      fs("/srv", { total_bytes: 4 * GiB, used_bytes: 1 * GiB, free_bytes: 3 * GiB, available_bytes: 3 * GiB }),
      fs("/mnt/full", { total_bytes: GiB, used_bytes: GiB, free_bytes: 0, available_bytes: 0 }),
      fs("/", { fstype: "rootfs", total_bytes: 0, used_bytes: 0, free_bytes: 0, available_bytes: 0 }),
    ]);
    assert.deepEqual(use, [
      { mount: "/mnt/full", total_bytes: GiB, used_bytes: GiB, used_percent: 100 },
      { mount: "/", total_bytes: 10 * GiB, used_bytes: 9 * GiB, used_percent: 94.7 },
      { mount: "/srv", total_bytes: 4 * GiB, used_bytes: GiB, used_percent: 25 },
    ]);
  });

  it("an empty filesystem reads 0 %", () => {
    assert.deepEqual(filesystemUse([fs("/empty", { total_bytes: GiB, used_bytes: 0, free_bytes: GiB, available_bytes: GiB })])[0]!.used_percent, 0);
  });
});

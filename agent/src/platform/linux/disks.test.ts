import assert from "node:assert/strict";
import { statfsSync } from "node:fs";
import { describe, it } from "node:test";
import { linuxDiskUsage, statfsMayBlock } from "./disks";

describe("linuxDiskUsage", () => {
  it("asks local and memory filesystems synchronously, and anything that may wait on a network, a daemon or an unknown driver through the thread pool", () => {
    for (const local of ["ext4", "xfs", "btrfs", "tmpfs", "vfat", "overlay"]) assert.equal(statfsMayBlock(local), false, local);
    for (const remote of ["nfs", "nfs4", "cifs", "smb3", "fuse.sshfs", "9p", "virtiofs", "ceph", "something-new"])
      assert.equal(statfsMayBlock(remote), true, remote);
  });

  it("reports this machine's root filesystem with the figures statfs gives for it", async () => {
    const { filesystems } = await linuxDiskUsage(false);
    const root = filesystems.find((fs) => fs.mountpoint === "/");
    assert.ok(root, `no "/" among ${filesystems.map((fs) => fs.mountpoint).join(", ")}`);
    const stats = statfsSync("/");
    assert.equal(root.total_bytes, stats.blocks * stats.bsize);
    // Free space moves while other processes write: the same within a few MiB.
    assert.ok(Math.abs(root.free_bytes - stats.bfree * stats.bsize) < 64 * 1024 * 1024, `${root.free_bytes} vs ${stats.bfree * stats.bsize}`);
    assert.equal(root.used_bytes, root.total_bytes - root.free_bytes);
    assert.ok(
      filesystems.every((fs) => !["proc", "sysfs", "cgroup2"].includes(fs.fstype)),
      "pseudo filesystems only when asked",
    );
  });

  it("lists pseudo filesystems when asked right after a pass without them, from the same mount table", async () => {
    await linuxDiskUsage(false);
    const withPseudo = await linuxDiskUsage(true);
    assert.ok(
      withPseudo.filesystems.some((fs) => fs.fstype === "proc"),
      `no proc among ${withPseudo.filesystems.map((fs) => fs.fstype).join(", ")}`,
    );
    assert.ok((await linuxDiskUsage(false)).filesystems.every((fs) => fs.fstype !== "proc"));
  });

  it("asked for writable filesystems only (telemetry), gives exactly the writable ones of the full answer", async () => {
    const all = (await linuxDiskUsage(true)).filesystems;
    const writable = (await linuxDiskUsage(true, true)).filesystems;
    assert.ok(writable.length > 0, "the root filesystem at least is writable");
    assert.deepEqual(
      writable.map((fs) => fs.mountpoint),
      all.filter((fs) => !fs.read_only).map((fs) => fs.mountpoint),
    );
  });
});

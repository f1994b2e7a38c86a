import assert from "node:assert/strict";
import { mkdtempSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { linuxDiskUsage, statfsMayBlock } from "./disks";
import type { MountView } from "./system-mounts";

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

  it("reports another namespace's mounts by their own mount points, measured through the path the view maps them to", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kvmm-mounts-"));
    const table = join(dir, "mounts");
    // As init's table reads beside a sandboxed agent: "/" writable there; a read-only mount; an octal-escaped name.
    writeFileSync(table, "/dev/vda / ext4 rw,relatime 0 0\n/dev/vdb /srv/old\\040data ext4 ro,relatime 0 0\nproc /proc proc rw 0 0\n");
    const asked: string[] = [];
    const view: MountView = { mounts: table, mountinfo: table, path: (mountpoint) => (asked.push(mountpoint), dir) };
    const { filesystems } = await linuxDiskUsage(false, false, view);
    assert.deepEqual(
      filesystems.map((fs) => [fs.mountpoint, fs.device, fs.read_only]),
      [
        ["/", "/dev/vda", false],
        ["/srv/old data", "/dev/vdb", true],
      ],
    );
    const stats = statfsSync(dir);
    assert.equal(filesystems[0]!.total_bytes, stats.blocks * stats.bsize);
    assert.deepEqual(asked, ["/", "/srv/old data"]);

    asked.length = 0;
    const writable = await linuxDiskUsage(false, true, view);
    assert.deepEqual(
      writable.filesystems.map((fs) => fs.mountpoint),
      ["/"],
    );
    assert.deepEqual(asked, ["/"], "a read-only mount is left out before its statfs");
  });
});

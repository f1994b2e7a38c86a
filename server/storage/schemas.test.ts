import { test } from "node:test";
import assert from "node:assert/strict";
import { poolNameSchema, poolPathSchema, poolSpecSchema, volumeCreateSchema, volumeNameSchema, volumeSizeSchema } from "./schemas";

const HOSTILE_NAMES = ["", "-lead", ".hidden", "../etc", "a/b", "a b", "x'y", "x<y", "a&b", "]]>", "x".repeat(65), "naïve", "a\nb"];

test("pool and volume names: plain names pass, hostile ones are refused", () => {
  for (const ok of ["images", "kvmm-test-pool_1", "disk.qcow2", "A1"]) {
    assert.equal(poolNameSchema.safeParse(ok).success, true, ok);
    assert.equal(volumeNameSchema.safeParse(ok).success, true, ok);
  }
  for (const bad of HOSTILE_NAMES) {
    assert.equal(poolNameSchema.safeParse(bad).success, false, JSON.stringify(bad));
    assert.equal(volumeNameSchema.safeParse(bad).success, false, JSON.stringify(bad));
  }
});

test("pool paths: absolute, normalised, and never a system or top-level directory", () => {
  for (const ok of ["/srv/kvm/images", "/var/lib/libvirt/images", "/tmp/kvmm-test-pool-1", "/data/vm+disks"]) {
    assert.equal(poolPathSchema.safeParse(ok).success, true, ok);
  }
  for (const bad of [
    "relative/dir",
    "/",
    "/tmp",
    "/etc",
    "/etc/libvirt",
    "/usr/local/images",
    "/dev/shm/pool",
    "/proc/1",
    "/var/lib/libvirt",
    "/var/lib/libvirt/qemu/save",
    "/srv/../etc",
    "/srv/./x",
    "/srv//x",
    "/srv/x/",
    "/srv/a b",
    "/srv/x'y",
    `/srv/${"a".repeat(300)}`,
  ]) {
    assert.equal(poolPathSchema.safeParse(bad).success, false, bad);
  }
});

test("pool specs per type, with defaults", () => {
  const lvm = poolSpecSchema.parse({ type: "logical", name: "vg", vgName: "vg_kvm" });
  assert.deepEqual(lvm, { type: "logical", name: "vg", vgName: "vg_kvm", devices: [] });
  assert.equal(poolSpecSchema.safeParse({ type: "logical", name: "vg", vgName: "vg", devices: ["/etc/passwd"] }).success, false);
  const nfs = poolSpecSchema.parse({ type: "netfs", name: "iso", host: "nas.lan", sourcePath: "/export/iso", path: "/srv/iso" });
  assert.equal(nfs.type === "netfs" && nfs.format, "auto");
  assert.equal(poolSpecSchema.safeParse({ type: "netfs", name: "iso", host: "nas;rm -rf", sourcePath: "/x", path: "/srv/iso" }).success, false);
  assert.equal(poolSpecSchema.safeParse({ type: "iscsi", name: "x" }).success, false);
});

test("volume sizes are bounded: 1 MiB to 64 TiB, whole bytes", () => {
  assert.equal(volumeSizeSchema.safeParse(1024 ** 2).success, true);
  assert.equal(volumeSizeSchema.safeParse(64 * 1024 ** 4).success, true);
  for (const bad of [0, -1, 1024, 1.5 * 1024 ** 2 + 0.5, 65 * 1024 ** 4, Number.NaN, Infinity]) {
    assert.equal(volumeSizeSchema.safeParse(bad).success, false, String(bad));
  }
  assert.deepEqual(volumeCreateSchema.parse({ name: "d", capacityBytes: 1024 ** 3 }), {
    name: "d",
    format: "qcow2",
    capacityBytes: 1024 ** 3,
    preallocate: false,
  });
  assert.equal(volumeCreateSchema.safeParse({ name: "d", capacityBytes: 1024 ** 3, format: "vmdk" }).success, false);
});

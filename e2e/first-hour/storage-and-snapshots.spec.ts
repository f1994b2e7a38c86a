import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ensureLibvirtd, virsh } from "../fixtures/test-host";
import { run } from "../fixtures/run";
import { ADMIN, expectNoHorizontalScroll, signIn, unique, vmTab } from "../support/session";

/**
 * Issue 16, walked as a new admin would, at desktop and phone size: the snapshot form of a stopped
 * and a running VM offers only what can be undone and says why (bug 2); the VM page names a disk
 * file that was deleted outside; the pool's volumes say which VM uses them, and an attached one is
 * deleted only with the VM's name typed (bug 3); the size field takes units and warns about
 * overcommit, refusing a preallocated size beyond the free space (bug 7); deleting the pool with
 * its directory lists its volumes and asks for them explicitly, and a failure leaves the pool running
 * and says so (bug 5). Everything is made with
 * virsh, named kvmm-test-fh-*-<project>, and removed whatever happened.
 */

function namesFor(testInfo: TestInfo) {
  const pool = unique(testInfo, "kvmm-test-fh-pool");
  return { pool, dir: `/tmp/${pool}`, vm: unique(testInfo, "kvmm-test-fh-vm") };
}

async function removeAll({ pool, dir, vm }: ReturnType<typeof namesFor>) {
  await virsh(["destroy", vm]).catch(() => undefined);
  await virsh(["undefine", vm, "--snapshots-metadata"]).catch(() => undefined);
  await virsh(["pool-destroy", pool]).catch(() => undefined);
  await virsh(["pool-undefine", pool]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

/** A stopped VM whose one disk is a qcow2 volume of the pool: it starts into SeaBIOS in about a second. */
async function defineVm(name: string, disk: string) {
  const dir = await mkdtemp("/tmp/kvmm-test-xml-");
  try {
    await writeFile(
      `${dir}/vm.xml`,
      `<domain type="qemu"><name>${name}</name><memory unit="MiB">32</memory><vcpu>1</vcpu><os><type arch="x86_64">hvm</type></os>
<devices><disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="${disk}"/><target dev="vda" bus="virtio"/></disk>
<memballoon model="none"/></devices></domain>`,
    );
    await virsh(["define", `${dir}/vm.xml`]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return virsh(["domuuid", name]);
}

/** The phone project also proves the narrowest phones we support. */
async function narrowOnPhone(page: Page, testInfo: TestInfo) {
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
}

// eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument to pass testInfo
test.beforeEach(async ({}, testInfo) => {
  await ensureLibvirtd();
  await removeAll(namesFor(testInfo)); // left over from an interrupted run
});

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  await removeAll(namesFor(testInfo));
});

test("storage and snapshots in the first hour: only undoable snapshots, who uses a volume, sizes with units, a pool deleted after a check and its real state shown when that fails", async ({
  page,
}, testInfo) => {
  const names = namesFor(testInfo);
  const { pool, dir, vm } = names;
  await virsh(["pool-define-as", pool, "dir", "--target", dir]);
  await virsh(["pool-build", pool]);
  await virsh(["pool-start", pool]);
  await virsh(["vol-create-as", pool, "disk.qcow2", "16M", "--format", "qcow2"]);
  await virsh(["vol-create-as", pool, "gone.qcow2", "16M", "--format", "qcow2"]);
  await virsh(["vol-create-as", pool, "keep.raw", "1M", "--format", "raw"]);
  const uuid = await defineVm(vm, `${dir}/disk.qcow2`);
  await narrowOnPhone(page, testInfo);
  await signIn(page, ADMIN.username, ADMIN.password);

  // Bug 2: a stopped VM is offered a disk-only snapshot; running, disk and memory, with why.
  await page.goto(`/vms/local/${uuid}/snapshots`);
  const snapshots = page.getByRole("region", { name: "Snapshots" });
  await expect(snapshots.getByText(/Disk only\. The VM is shut off/)).toBeVisible();
  await expect(snapshots.getByRole("button", { name: "Take snapshot" })).toBeEnabled();
  await virsh(["start", vm]);
  await expect(snapshots.getByText(/Disk and memory\. The VM is running/)).toBeVisible();
  await expect(snapshots.getByText(/A disk-only snapshot of a running VM could not be reverted or deleted: shut the VM down to take one\./)).toBeVisible();
  await expect(snapshots.getByRole("checkbox")).toHaveCount(0);
  await expectNoHorizontalScroll(page);
  await virsh(["destroy", vm]);

  // Bug 3: a disk whose file was deleted outside the manager is an error on its row.
  await virsh(["attach-disk", vm, `${dir}/gone.qcow2`, "vdb", "--subdriver", "qcow2", "--config"]);
  await rm(`${dir}/gone.qcow2`);
  await vmTab(page, "Overview");
  const disks = page.getByRole("region", { name: "Disks" });
  await expect(disks.getByRole("listitem").filter({ hasText: "vdb" })).toContainText(
    `Its file ${dir}/gone.qcow2 is missing on the host: the VM will not start`,
  );
  await expect(disks.getByRole("listitem").filter({ hasText: "vda" })).not.toContainText("missing");
  await virsh(["detach-disk", vm, "vdb", "--config"]);

  // Bug 3: the volume says which VM uses it, linked to the VM.
  await page.goto(`/storage/local/${pool}`);
  const disk = page.getByRole("listitem", { name: "Volume disk.qcow2" });
  await expect(disk.getByRole("link", { name: vm })).toHaveAttribute("href", `/vms/local/${uuid}`);
  await expect(disk.getByText("(disk vda)")).toBeVisible();
  await expect(page.getByRole("listitem", { name: "Volume keep.raw" }).getByText("no VM", { exact: true })).toBeVisible();
  await expectNoHorizontalScroll(page);

  // Bug 7: sizes with units; beyond the free space a thin volume is warned about, a preallocated one refused in the form.
  const size = page.getByLabel("Size", { exact: true });
  await size.fill("60 TiB");
  await expect(page.getByText(/This pool has .+ free; the volume can grow beyond that\./)).toBeVisible();
  await page.getByLabel(/Preallocate/).check();
  await expect(page.getByText(/Size must be at most .+, the pool's free space: a preallocated volume takes its whole size at once\./)).toBeVisible();
  await page.getByLabel("Volume name", { exact: true }).fill("big.qcow2");
  await page.getByRole("button", { name: "Create volume" }).click();
  await expect(page.getByRole("listitem", { name: "Volume big.qcow2" })).toHaveCount(0);
  await page.getByLabel(/Preallocate/).uncheck();
  await page.getByRole("button", { name: "Create volume" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Volume big.qcow2 created." })).toBeVisible();
  await expect(page.getByRole("listitem", { name: "Volume big.qcow2" }).getByText("60 TiB", { exact: true })).toBeVisible();
  await size.fill("12 parsecs");
  await expect(page.getByText("Enter a size such as 20 GiB, 512 MiB or 1.5 TiB.")).toBeVisible();
  await expectNoHorizontalScroll(page);

  // Bug 3: deleting the attached volume needs the VM's name typed; then the disk is detached and the volume goes.
  await disk.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(disk.getByText(`VM ${vm} has it attached as vda. Deleting detaches it from that VM first.`)).toBeVisible();
  const detachAndDelete = disk.getByRole("button", { name: "Detach and delete volume" });
  await expect(detachAndDelete).toBeDisabled();
  await disk.getByLabel(/Type the VM's name/).fill(vm);
  await detachAndDelete.click();
  await expect(disk).toHaveCount(0);
  expect(await virsh(["domblklist", vm])).not.toMatch(/vda/);
  await expect(stat(`${dir}/disk.qcow2`)).rejects.toThrow();

  // Bug 5: the pool's delete dialog lists what would go, and deleting the directory needs the volumes asked for.
  const poolSection = page.getByRole("region", { name: `Pool ${pool}` });
  await poolSection.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(poolSection.getByText("It holds 2 volumes:")).toBeVisible();
  await expect(poolSection.getByRole("list").getByText("big.qcow2", { exact: true })).toBeVisible();
  await expect(poolSection.getByRole("list").getByText("keep.raw", { exact: true })).toBeVisible();
  await poolSection.getByLabel(/Type the pool's name/).fill(pool);
  await poolSection.getByLabel(/Also delete its directory/).check();
  const deletePool = poolSection.getByRole("button", { name: "Delete pool" });
  await expect(deletePool).toBeDisabled();
  await expect(poolSection.getByText(/The directory can only go once it is empty/)).toBeVisible();
  await expectNoHorizontalScroll(page);
  await poolSection.getByLabel("Delete its 2 volumes too (their data is lost; a volume a VM uses is never deleted)").check();
  // Something that is no volume (a named pipe) keeps the directory from going after all: the page reports the real state.
  await run("mkfifo", [`${dir}/pipe`]);
  await deletePool.click();
  await expect(poolSection.getByRole("alert")).toContainText("deleting its data failed");
  await expect(poolSection.getByRole("alert")).toContainText("the pool is still defined and it was started again");
  await expect(poolSection.getByText("running", { exact: true })).toBeVisible();
  expect(await virsh(["pool-info", pool])).toMatch(/State:\s+running/);
  await expect(poolSection.getByText("The pool holds no volumes.")).toBeVisible();
  await rm(`${dir}/pipe`);
  await deletePool.click();
  await expect(page).toHaveURL(/\/storage$/);
  await expect(page.getByRole("listitem", { name: `Pool ${pool}` })).toHaveCount(0);
  await expect(stat(dir)).rejects.toThrow();
});

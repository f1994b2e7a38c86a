import { randomBytes } from "node:crypto";
import { readdir, rmdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { ensureLibvirtd, virsh } from "./fixtures/test-host";
import { testRunRoot } from "./fixtures/paths";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, expectNoHorizontalScroll, navigate, signIn, unique, vmTab } from "./support/session";

/**
 * Backups as an admin uses them, with no guest booted: a directory pool marked as a backup target on
 * /backups, a shut-off idle domain backed up from its Snapshots tab (its 16 MiB disk copied by
 * qemu-img), verified, deleted, and the target removed — each destructive step behind one confirmation.
 */

let pool: { name: string; dir: string } | undefined;
let vm: IdleDomain | undefined;

/** What a failed run may leave: the backup directories' files (by name) and the pool's directory. */
async function removePoolFiles(dir: string): Promise<void> {
  for (const entry of await readdir(dir).catch(() => [])) {
    if (!entry.startsWith("kvmm-backup-")) continue;
    for (const f of ["vda.qcow2", "domain.xml", "manifest.json"]) await unlink(join(dir, entry, f)).catch(() => undefined);
    await rmdir(join(dir, entry)).catch(() => undefined);
  }
  await rmdir(dir).catch(() => undefined);
}

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
  if (!pool) return;
  await virsh(["pool-destroy", pool.name]).catch(() => undefined);
  await virsh(["pool-undefine", pool.name]).catch(() => undefined);
  await removePoolFiles(pool.dir);
  pool = undefined;
});

test("an admin marks a backup target, backs up a VM from its page, verifies and deletes the backup, and removes the target", async ({ page }, testInfo) => {
  await ensureLibvirtd();
  const suffix = randomBytes(2).toString("hex");
  const name = unique(testInfo, `kvmm-test-bk-${suffix}`);
  pool = { name, dir: join(testRunRoot(), name) };
  await virsh(["pool-define-as", name, "dir", "--target", pool.dir]);
  await virsh(["pool-build", name]);
  await virsh(["pool-start", name]);
  vm = await defineIdleDomain(`kvmm-test-bkvm-${suffix}-${testInfo.project.name}`);

  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Backups");
  const targets = page.getByRole("region", { name: "Backup targets" });
  await targets.getByLabel("Pool").fill(name);
  await targets.getByRole("button", { name: "Use as backup target" }).click();
  await expect(targets.getByText(`${name} on local`)).toBeVisible();
  await expectNoHorizontalScroll(page);

  await page.goto(`/vms/local/${vm.uuid}/overview`);
  await vmTab(page, "Snapshots");
  const section = page.getByRole("region", { name: "Backups" });
  await expect(section.getByText("This VM has no backups yet.")).toBeVisible();
  // Other tests may have targets of their own on this host: choose this one when asked.
  const choice = section.getByLabel("Backup target");
  if (await choice.isVisible()) await choice.selectOption(name);
  await section.getByRole("button", { name: "Back up now" }).click();
  const backup = section.getByTestId("backup");
  await expect(backup).toHaveAttribute("data-backup-state", "succeeded", { timeout: 30_000 });
  await expect(backup.getByText("Full", { exact: true })).toBeVisible();
  await expect(backup.getByTestId("backup-consistency")).toHaveText("Consistent");
  await expect(backup.getByTestId("backup-verified")).toHaveText("Not verified");

  await backup.getByRole("button", { name: "Verify" }).click();
  await expect(backup.getByTestId("backup-verified")).toContainText("Verified", { timeout: 30_000 });
  await expectNoHorizontalScroll(page);

  await backup.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(vm.name);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(section.getByText("This VM has no backups yet.")).toBeVisible();

  await navigate(page, "Backups");
  await targets.getByText(`${name} on local`).locator("..").getByRole("button", { name: "Stop using" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop using" }).click();
  await expect(targets.getByText(`${name} on local`)).toHaveCount(0);
});

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { and, asc, gt, like } from "drizzle-orm";
import { auditTargets } from "../server/audit/targets";
import { openDatabase, type Db } from "../server/db/client";
import { auditLog } from "../server/db/schema";
import { bootAgentGuest } from "../server/guest/testing/agent-guest";
import { assertAuditedSince, auditMark } from "./fixtures/audit";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import type { TestDomain } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn } from "./support/session";

const MiB = 1024 * 1024;
let guest: TestDomain | undefined;
let idle: IdleDomain | undefined;
let db: Db | undefined;

function database(): Db {
  db ??= openDatabase(path.join(process.env.KVMM_E2E_DATA_DIR!, "kvm-manager.sqlite"));
  return db;
}

/** A full-page screenshot kept as the test's artifact (a file in its output folder, attached to the report). */
async function screenshot(page: Page, testInfo: TestInfo, name: string) {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: "image/png" });
}

/** MiB/s of `bytes` since `startedAt` (performance.now()), as an annotation on the report. */
function rate(testInfo: TestInfo, what: string, bytes: number, startedAt: number) {
  const seconds = (performance.now() - startedAt) / 1000;
  const description = `${what}: ${(bytes / MiB / seconds).toFixed(2)} MiB/s (${seconds.toFixed(1)} s)`;
  testInfo.annotations.push({ type: "measured", description });
  console.log(`measured: ${description}`);
}

test.afterEach(async () => {
  await guest?.destroy();
  guest = undefined;
  await idle?.remove();
  idle = undefined;
});

/** The folder listing, read again from the agent. */
async function refreshedListing(page: Page, folder: string) {
  const table = page.getByRole("table", { name: `Contents of ${folder}` });
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByRole("button", { name: "Refresh" })).toBeEnabled();
  return table;
}

// @desktop (both transfer tests): what travels through an agent is the same at any width; this test looks at the
// tab at 360 px at its end, and the phone sees the tab of a VM that is off in the last test.
test(
  "through our agent: a 20 MiB upload arrives whole and checked, downloads back equal, and a cancelled one leaves nothing in the guest",
  { tag: "@desktop" },
  async ({ page }, testInfo) => {
    test.setTimeout(300_000);
    const booted = await bootAgentGuest({ label: "e2e-files", memoryMiB: 512 });
    guest = booted.guest;
    await guest.waitForReady(120_000);
    const vmTarget = auditTargets.vm("local", guest.name);
    const name = `upload-${randomBytes(4).toString("hex")}.bin`;
    const target = `/tmp/${name}`;
    const content = randomBytes(20 * MiB);

    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${guest.uuid}/files`);
    await expect(page.getByRole("heading", { name: "Files", level: 2 })).toBeVisible();
    const listing = page.getByRole("table", { name: "Contents of /tmp" });
    await expect(listing).toBeVisible({ timeout: 120_000 });
    await expect(page.getByRole("group", { name: "Folders the agent allows" })).toContainText("/var/log");

    // Upload: every chunk to one temporary, then one rename onto the target.
    const uploadMark = auditMark(database());
    await page.getByLabel("File on this computer").setInputFiles({ name, mimeType: "application/octet-stream", buffer: content });
    const uploadStarted = performance.now();
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const upload = page.getByRole("listitem", { name: `Upload of ${target}` });
    await expect(upload).toContainText("done", { timeout: 180_000 });
    rate(testInfo, "upload of 20 MiB through our agent, SHA-256 and rename included", content.length, uploadStarted);
    await expect(upload).toContainText("matches");
    await expect(listing.getByRole("row").filter({ hasText: name })).toContainText("20 MiB");
    const writes = database()
      .select({ target: auditLog.target })
      .from(auditLog)
      .where(and(gt(auditLog.id, uploadMark), like(auditLog.action, "guest.fileWrite")))
      .orderBy(asc(auditLog.id))
      .all();
    const temp = writes[0]?.target?.slice(`${vmTarget}: `.length) ?? "";
    expect(temp).toMatch(new RegExp(`^/tmp/\\.${name.replace(/\./g, "\\.")}\\.kvmm-upload-[0-9a-f]{24}$`));
    assertAuditedSince(
      database(),
      uploadMark,
      [
        ...Array.from({ length: 20 }, () => ({ action: "guest.fileWrite", target: auditTargets.inVm(vmTarget, temp) })),
        { action: "guest.fileRename", target: auditTargets.inVm(vmTarget, target) },
      ],
      { about: vmTarget },
    );

    // Download it back through the browser's download.
    const downloadMark = auditMark(database());
    const downloading = page.waitForEvent("download");
    const downloadStarted = performance.now();
    await page.getByRole("button", { name: `Download ${name}` }).click();
    const saved = await downloading;
    rate(testInfo, "download of 20 MiB through our agent, SHA-256 included", content.length, downloadStarted);
    expect(saved.suggestedFilename()).toBe(name);
    const back = await readFile((await saved.path())!);
    expect(back.length).toBe(content.length);
    expect(back.equals(content)).toBe(true);
    await expect(page.getByRole("listitem", { name: `Download of ${target}` })).toContainText("matches the guest's");
    assertAuditedSince(
      database(),
      downloadMark,
      Array.from({ length: 20 }, () => ({ action: "guest.fileRead", target: auditTargets.inVm(vmTarget, target) })),
      { about: vmTarget },
    );

    await screenshot(page, testInfo, "files-tab-desktop");

    // Cancel halfway: the 11th chunk is held until Cancel is pressed, so exactly half is in the guest then.
    const cancelName = `cancelled-${randomBytes(4).toString("hex")}.bin`;
    let chunks = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reachedHalf!: () => void;
    const half = new Promise<void>((resolve) => (reachedHalf = resolve));
    await page.route("**/api/trpc/guest.fileWrite*", async (route) => {
      if (++chunks === 11) {
        reachedHalf();
        await held;
      }
      await route.continue();
    });
    const cancelMark = auditMark(database());
    await page.getByLabel("File on this computer").setInputFiles({ name: cancelName, mimeType: "application/octet-stream", buffer: randomBytes(20 * MiB) });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await half;
    const cancelled = page.getByRole("listitem", { name: `Upload of /tmp/${cancelName}` });
    await expect.poll(() => cancelled.getByRole("progressbar").evaluate((bar) => (bar as HTMLProgressElement).value)).toBe(10 * MiB);
    await cancelled.getByRole("button", { name: "Cancel" }).click();
    release();
    await expect(cancelled).toContainText("cancelled", { timeout: 60_000 });
    await expect(cancelled).toContainText("the part already sent was removed");
    await page.unroute("**/api/trpc/guest.fileWrite*");

    // Listed by the agent again: neither the target nor any temporary is there.
    const after = await refreshedListing(page, "/tmp");
    await expect(after.getByRole("row").filter({ hasText: name })).toHaveCount(1);
    await expect(after).not.toContainText(cancelName);
    await expect(after).not.toContainText("kvmm-upload");
    // The first row about this VM since the mark (another test's rows may be between).
    const cancelTemp = database()
      .select({ target: auditLog.target })
      .from(auditLog)
      .where(gt(auditLog.id, cancelMark))
      .orderBy(asc(auditLog.id))
      .all()
      .find((row) => row.target?.startsWith(`${vmTarget}: `))
      ?.target?.slice(`${vmTarget}: `.length);
    expect(cancelTemp).toMatch(/\.kvmm-upload-[0-9a-f]{24}$/);
    assertAuditedSince(
      database(),
      cancelMark,
      [
        ...Array.from({ length: 11 }, () => ({ action: "guest.fileWrite", target: auditTargets.inVm(vmTarget, cancelTemp!) })),
        { action: "guest.fileRemove", target: auditTargets.inVm(vmTarget, cancelTemp!) },
      ],
      { about: vmTarget },
    );

    // The same tab at the narrowest phone width (the phone project starts wider, at 412 px).
    await page.setViewportSize({ width: 360, height: 780 });
    await expect(listing).toBeVisible();
    await expectNoHorizontalScroll(page);
    await screenshot(page, testInfo, "files-tab-phone");
  },
);

test(
  "with only stock qemu-guest-agent: a file goes up and comes back by path, labelled as the slower path",
  { tag: "@desktop" },
  async ({ page }, testInfo) => {
    test.setTimeout(300_000);
    const booted = await bootAgentGuest({ label: "e2e-files-qga", agent: false, qemuGuestAgent: true, memoryMiB: 512 });
    guest = booted.guest;
    await guest.waitForReady(120_000);
    const target = `/tmp/qga-${randomBytes(4).toString("hex")}.bin`;
    const content = randomBytes(300 * 1024 + 17);

    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${guest.uuid}/files`);
    const note = page.getByRole("note", { name: "About the slower path" });
    await expect(note).toBeVisible({ timeout: 120_000 });
    await expect(note).toContainText("64 KiB chunks");
    await expect(note).toContainText("cannot list folders");

    await page.getByLabel("File on this computer").setInputFiles({ name: "qga.bin", mimeType: "application/octet-stream", buffer: content });
    await page.getByLabel("Save as (path in the guest)").fill(target);
    const uploadStarted = performance.now();
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    const upload = page.getByRole("listitem", { name: `Upload of ${target}` });
    await expect(upload).toContainText("done", { timeout: 120_000 });
    rate(testInfo, "upload through qemu-ga", content.length, uploadStarted);
    await expect(upload).toContainText("slower path");

    await page.getByLabel("File in the guest").fill(target);
    const downloading = page.waitForEvent("download");
    const downloadStarted = performance.now();
    await page.getByRole("button", { name: "Download", exact: true }).click();
    const saved = await downloading;
    rate(testInfo, "download through qemu-ga", content.length, downloadStarted);
    const back = await readFile((await saved.path())!);
    expect(back.equals(content)).toBe(true);
    await screenshot(page, testInfo, "files-tab-qga-desktop");
  },
);

test("a VM that is off: the tab says so instead of offering files", async ({ page }, testInfo) => {
  idle = await defineIdleDomain(`kvmm-test-e2e-files-off-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${idle.uuid}/files`);
  await expect(page.getByText(`${idle.name} is not running.`)).toBeVisible();
  await expect(page.getByLabel("File on this computer")).toHaveCount(0);
  await expectNoHorizontalScroll(page);
});

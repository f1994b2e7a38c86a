import { rm, stat } from "node:fs/promises";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ensureLibvirtd, virsh } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, signOut, unique } from "./support/session";

/**
 * Storage through the UI, as an admin would use it: a directory pool under /tmp/kvmm-test-*,
 * a qcow2 volume in it grown, shrunk and deleted, then the pool deleted with its directory.
 * Everything is named kvmm-test-*-<project> and removed with virsh afterwards whatever happened.
 */

function namesFor(testInfo: TestInfo) {
  const pool = unique(testInfo, "kvmm-test-pool");
  return { pool, dir: `/tmp/${pool}`, volume: `kvmm-test-vol-${testInfo.project.name}.qcow2` };
}

async function removePool(name: string, dir: string) {
  await virsh(["pool-destroy", name]).catch(() => undefined);
  await virsh(["pool-undefine", name]).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

/** The phone project also proves the narrowest phones we support. */
async function narrowOnPhone(page: Page, testInfo: TestInfo) {
  if (testInfo.project.name === "phone") await page.setViewportSize({ width: 360, height: 780 });
}

// eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument to pass testInfo
test.beforeEach(async ({}, testInfo) => {
  await ensureLibvirtd();
  const { pool, dir } = namesFor(testInfo);
  await removePool(pool, dir); // left over from an interrupted run
});

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  const { pool, dir } = namesFor(testInfo);
  await removePool(pool, dir);
});

test("an admin adds a directory pool, drives it, and manages a volume in it", async ({ page }, testInfo) => {
  const { pool, dir, volume } = namesFor(testInfo);
  await narrowOnPhone(page, testInfo);
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByRole("link", { name: "Storage" }).click();
  await expect(page.getByRole("heading", { name: "Storage", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Add pool" }).click();
  await page.getByLabel("Pool type", { exact: true }).selectOption("dir");
  await page.getByLabel("Pool name", { exact: true }).fill(pool);
  await page.getByLabel("Directory on the host", { exact: true }).fill(dir);
  await expectNoHorizontalScroll(page);
  await page.getByRole("button", { name: "Create pool" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Pool ${pool} created.` })).toBeVisible();
  expect((await stat(dir)).isDirectory(), "the pool's directory was made").toBe(true);

  const card = page.getByRole("listitem", { name: `Pool ${pool}` });
  await expect(card.getByText("running", { exact: true })).toBeVisible();
  await expect(card.getByText(/used of .* free/)).toBeVisible();
  await expect(card.getByLabel("Start at boot", { exact: true })).toBeChecked();
  await expectNoHorizontalScroll(page);

  await card.getByRole("button", { name: "Stop" }).click();
  await expect(card.getByText("inactive", { exact: true })).toBeVisible();
  await card.getByRole("button", { name: "Start" }).click();
  await expect(card.getByText("running", { exact: true })).toBeVisible();
  await card.getByRole("button", { name: "Refresh" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Pool ${pool} refreshed.` })).toBeVisible();
  await card.getByLabel("Start at boot", { exact: true }).uncheck();
  await expect(card.getByLabel("Start at boot", { exact: true })).not.toBeChecked();
  await expect.poll(() => virsh(["pool-info", pool])).toMatch(/Autostart:\s+no/);

  // The pool's page: volumes.
  await card.getByRole("link", { name: pool }).click();
  await expect(page.getByRole("heading", { name: `Pool ${pool}` })).toBeVisible();
  await page.getByLabel("Volume name", { exact: true }).fill(volume);
  await page.getByLabel("Format", { exact: true }).selectOption("qcow2");
  await page.getByLabel("Size", { exact: true }).fill("1 GiB");
  await page.getByRole("button", { name: "Create volume" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Volume ${volume} created.` })).toBeVisible();
  const vol = page.getByRole("listitem", { name: `Volume ${volume}` });
  await expect(vol.getByText(`${dir}/${volume}`)).toBeVisible();
  await expect(vol.getByText("1.0 GiB", { exact: true })).toBeVisible();

  await vol.getByRole("button", { name: "Resize" }).click();
  await vol.getByLabel("New size", { exact: true }).fill("2 GiB");
  await expectNoHorizontalScroll(page);
  await vol.getByRole("button", { name: "Apply new size" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Volume ${volume} resized to 2.0 GiB.` })).toBeVisible();
  expect(await virsh(["vol-info", "--pool", pool, volume, "--bytes"])).toMatch(/Capacity:\s+2147483648 bytes/);

  // Shrinking needs the explicit tick; without it nothing is sent.
  await vol.getByRole("button", { name: "Resize" }).click();
  await vol.getByLabel("New size", { exact: true }).fill("1024 MiB");
  await vol.getByRole("button", { name: "Apply new size" }).click();
  await expect(vol.getByRole("alert")).toContainText("Allow shrinking");
  expect(await virsh(["vol-info", "--pool", pool, volume, "--bytes"])).toMatch(/Capacity:\s+2147483648 bytes/);
  await vol.getByLabel(/Allow shrinking/).check();
  await vol.getByRole("button", { name: "Apply new size" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Volume ${volume} resized to 1.0 GiB.` })).toBeVisible();
  expect(await virsh(["vol-info", "--pool", pool, volume, "--bytes"])).toMatch(/Capacity:\s+1073741824 bytes/);

  await vol.getByRole("button", { name: "Delete", exact: true }).click();
  await vol.getByRole("button", { name: "Yes, delete volume" }).click();
  await expect(vol).toHaveCount(0);
  await expect(page.getByText("No volumes in this pool.")).toBeVisible();

  // Delete the pool from its page: the name must be typed, and the emptied directory goes too.
  const poolSection = page.getByRole("region", { name: `Pool ${pool}` });
  await poolSection.getByRole("button", { name: "Delete", exact: true }).click();
  const deleteButton = poolSection.getByRole("button", { name: "Delete pool" });
  await expect(deleteButton).toBeDisabled();
  await poolSection.getByLabel(/Type the pool's name/).fill(pool);
  await poolSection.getByLabel(/Also delete its directory/).check();
  await deleteButton.click();
  await expect(page).toHaveURL(/\/storage$/);
  await expect(page.getByRole("listitem", { name: `Pool ${pool}` })).toHaveCount(0);
  await expect(stat(dir)).rejects.toThrow();
  await expect(virsh(["pool-info", pool])).rejects.toThrow();
});

test("a bad pool path is refused with a reason beside the path field, and the storage pages fit the screen", async ({ page }, testInfo) => {
  const { pool } = namesFor(testInfo);
  await narrowOnPhone(page, testInfo);
  await signIn(page, ADMIN.username, ADMIN.password, "/storage");
  await expectNoHorizontalScroll(page);
  await page.getByRole("button", { name: "Add pool" }).click();
  await page.getByLabel("Pool name", { exact: true }).fill(pool);
  await page.getByLabel("Directory on the host", { exact: true }).fill("/etc/kvmm-test");
  await page.getByRole("button", { name: "Create pool" }).click();
  // The reason is tied to the field it is about, the way a screen reader finds it.
  const path = page.getByLabel("Directory on the host", { exact: true });
  await expect(path).toHaveAttribute("aria-invalid", "true");
  await expect(path).toHaveAccessibleDescription(/not a system directory/);
  await expect(page.getByRole("listitem", { name: `Pool ${pool}` })).toHaveCount(0);

  // The other pool types ask for their own fields.
  await page.getByLabel("Pool type", { exact: true }).selectOption("netfs");
  await expect(page.getByLabel("Server", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Path on the server", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Share format", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Mount point on the host", { exact: true })).toBeVisible();
  await page.getByLabel("Pool type", { exact: true }).selectOption("logical");
  await expect(page.getByLabel("Source devices", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Volume group", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Directory on the host", { exact: true })).toHaveCount(0);
  await expectNoHorizontalScroll(page);
});

// @desktop: what a viewer may do is the server's, the same at any width; these pages at phone width are the tests above.
test("a viewer sees the pools and their volumes but no controls to change them", { tag: "@desktop" }, async ({ page }, testInfo) => {
  const { pool, dir } = namesFor(testInfo);
  // A pool made directly with virsh: this test is about what a viewer is shown, not how pools are made.
  await virsh(["pool-define-as", pool, "dir", "--target", dir]);
  await virsh(["pool-build", pool]);
  await virsh(["pool-start", pool]);
  const viewer = unique(testInfo, "kvmm-test-viewer-storage");
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
  await page.getByLabel("New username").fill(viewer);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByLabel("Initial password").fill("viewer-password-1");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("listitem", { name: `User ${viewer}` })).toBeVisible();
  await signOut(page);

  await signIn(page, viewer, "viewer-password-1");
  await page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByRole("link", { name: "Storage" }).click();
  const card = page.getByRole("listitem", { name: `Pool ${pool}` });
  await expect(card.getByText("running", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add pool" })).toHaveCount(0);
  await expect(card.getByRole("button")).toHaveCount(0);
  await expect(card.getByRole("checkbox")).toHaveCount(0);
  await card.getByRole("link", { name: pool }).click();
  await expect(page.getByRole("heading", { name: "Volumes" })).toBeVisible();
  await expect(page.getByText("No volumes in this pool.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Create volume" })).toHaveCount(0);
});

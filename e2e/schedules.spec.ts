import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, expectNoHorizontalScroll, signIn, unique } from "./support/session";

/**
 * A schedule made on /schedules the way a user makes one: a cron expression with an hour of 25 is
 * worded beside its field; fixed, the preview shows the next five runs; created, "Run now" takes a
 * disk snapshot of an idle domain (shut off, nothing boots) and the history shows the run's result;
 * deleted after one confirmation. The VM's overview lists the schedule while it exists.
 */

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

test("a schedule: a bad cron is worded beside its field, the preview shows five runs once fixed, run now shows its result, delete asks once", async ({
  page,
}, testInfo) => {
  vm = await defineIdleDomain(unique(testInfo, `kvmm-test-sched-${randomBytes(2).toString("hex")}`));
  const name = unique(testInfo, `nightly-${randomBytes(2).toString("hex")}`);
  await signIn(page, ADMIN.username, ADMIN.password, "/schedules");
  await page.getByRole("button", { name: "New schedule" }).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("VM", { exact: true }).selectOption({ label: vm.name });
  await page.getByLabel("Action").selectOption("snapshot");
  await page.getByLabel("Time zone").fill("Europe/Berlin");
  const cron = page.getByLabel("Cron expression");
  await cron.fill("0 25 * * *");
  const cronField = page.locator("[data-field-error]:has(#schedule-cron)");
  await expect(cronField).toContainText('The hour (0–23) field "25" is not valid.');
  await expect(page.getByTestId("schedule-preview")).toContainText("Enter a valid cron expression");

  await cron.fill("0 3 * * *");
  await expect(page.getByTestId("schedule-preview-time")).toHaveCount(5);
  await expect(page.getByTestId("schedule-preview")).toContainText("Schedule's time (Europe/Berlin)");
  await expect(page.locator("[data-field-error]:has(#schedule-cron)")).toHaveCount(0);
  await expectNoHorizontalScroll(page);
  await page.getByRole("button", { name: "Create schedule" }).click();

  const item = page.getByRole("listitem", { name, exact: true });
  await expect(item).toContainText(`Snapshot · VM ${vm.name} on local`);
  await expect(item).toContainText("Not run yet");
  await item.getByRole("button", { name: "Run now" }).click();
  const run = item.getByTestId("schedule-run").first();
  await expect(run).toContainText("OK");
  await expect(run).toContainText(`Run now by ${ADMIN.username}`);
  await expect(run).toContainText(`${vm.name} (local): snapshot "${name}-`);
  expect(await vm.snapshots()).toHaveLength(1);

  await page.goto(`/vms/local/${vm.uuid}/overview`);
  await expect(page.getByTestId("vm-schedules")).toContainText(`${name} (Snapshot)`);

  await page.goto("/schedules");
  await page.getByRole("listitem", { name, exact: true }).getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText(`Delete schedule ${name}?`);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(page.getByRole("listitem", { name, exact: true })).toHaveCount(0);
  // The snapshot it took stays.
  expect(await vm.snapshots()).toHaveLength(1);
});

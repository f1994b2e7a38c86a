import { expect, test } from "@playwright/test";
import { createTestDomain, virsh, type TestDomain } from "./fixtures/test-host";
import { ADMIN, signIn, vmTab } from "./support/session";

let guest: TestDomain | undefined;

// Playwright hands fixtures in the first argument; this hook needs none of them.
// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}, testInfo) => {
  await guest?.destroy();
  guest = undefined;
  await virsh(["undefine", `kvmm-test-form-${testInfo.project.name}`]).catch(() => undefined);
});

// @desktop (the three tests that boot a guest): a list that follows libvirt's events is the same at any width; the phone
// drives the list's power buttons on idle domains in first-hour/dialogs-and-phone.spec.ts and vm-list.spec.ts.
test("the VM list shows a real guest and follows its power state live as the user drives it", { tag: "@desktop" }, async ({ page }, testInfo) => {
  guest = await createTestDomain({ label: `e2e-${testInfo.project.name}`, memoryMiB: 256 });
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByRole("link", { name: "VMs" }).click();
  const card = page.getByRole("row", { name: `VM ${guest.name}` });
  await expect(card.getByText("running", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Pause" }).click();
  await expect(card.getByText("paused", { exact: true })).toBeVisible();
  await card.getByRole("button", { name: "Resume" }).click();
  await expect(card.getByText("running", { exact: true })).toBeVisible();

  await card.getByRole("button", { name: "Force off…" }).click();
  await page
    .getByRole("dialog", { name: `Force off ${guest.name}?` })
    .getByRole("button", { name: "Force off", exact: true })
    .click();
  await expect(card.getByText("shut off", { exact: true })).toBeVisible();
  await expect(card.getByRole("button", { name: "Start" })).toBeVisible();
});

test("a VM changed outside the manager updates on an open page without reload", { tag: "@desktop" }, async ({ page }, testInfo) => {
  guest = await createTestDomain({ label: `e2e-live-${testInfo.project.name}`, memoryMiB: 256 });
  await signIn(page, ADMIN.username, ADMIN.password, "/vms");
  const card = page.getByRole("row", { name: `VM ${guest.name}` });
  await expect(card.getByText("running", { exact: true })).toBeVisible();
  await guest.destroy();
  await expect(card).toHaveCount(0);
  guest = undefined;
});

test("the VM page shows the guest's hardware and its agent connection", { tag: "@desktop" }, async ({ page }, testInfo) => {
  guest = await createTestDomain({ label: `e2e-detail-${testInfo.project.name}`, memoryMiB: 256 });
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${guest.uuid}`);
  await expect(page.getByRole("heading", { name: guest.name })).toBeVisible();
  await expect(page.getByRole("region", { name: "Overview" }).getByText("256 MiB")).toBeVisible();
  await vmTab(page, "Snapshots");
  await expect(page.getByRole("region", { name: "Snapshots" }).getByText("No snapshots yet.")).toBeVisible();
  await vmTab(page, "Settings");
  await expect(page.getByRole("region", { name: "Guest agents" }).getByText("org.kvmmanager.agent.0")).toBeVisible();
  await expect(page.getByRole("region", { name: "Delete" })).toBeVisible();
});

test("an admin creates a VM with the form, lands on its page, and deletes it with its name typed back", async ({ page }, testInfo) => {
  const name = `kvmm-test-form-${testInfo.project.name}`;
  await signIn(page, ADMIN.username, ADMIN.password, "/vms");
  await page.getByRole("link", { name: "New VM" }).click();
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("vCPUs").fill("1");
  await page.getByLabel("Memory").fill("128");
  await page.getByLabel(/New disk size/).fill("0");
  await page.getByLabel("Network").selectOption({ label: "None" });
  await page.getByLabel("Start now").uncheck();
  await page.getByLabel("Tags").fill("e2e, form");
  await page.getByRole("button", { name: "Create VM" }).click();
  await expect(page.getByRole("heading", { name })).toBeVisible();
  await expect(page.getByText("shut off", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Overview" }).getByText("e2e, form")).toBeVisible();

  await vmTab(page, "Settings");
  await page.getByRole("button", { name: "Delete VM…" }).click();
  const confirm = page.getByRole("dialog", { name: `Delete VM ${name}?` });
  await confirm.getByLabel("VM name").fill(name);
  await confirm.getByRole("button", { name: "Delete VM", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
  await expect(page.getByRole("row", { name: `VM ${name}` })).toHaveCount(0);
});

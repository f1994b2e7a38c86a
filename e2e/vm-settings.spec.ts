import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, vmTab } from "./support/session";

// The VM page as tabs with their own addresses, and the Settings tab's forms on a shut-off idle
// domain (SeaBIOS, no OS): each change is saved in libvirt's definition and says when it applies.

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

test("each VM tab has its own address, the bar marks the open one, and a bare VM address opens the overview", async ({ page }, testInfo) => {
  vm = await defineIdleDomain(`kvmm-test-tabs-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}`);
  await expect(page).toHaveURL(new RegExp(`/vms/local/${vm.uuid}/overview$`));
  const bar = page.getByRole("navigation", { name: "VM sections" });
  await expect(bar.getByRole("link", { name: "Overview" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("region", { name: "Overview" }).getByText("32 MiB")).toBeVisible();

  await vmTab(page, "Snapshots");
  await expect(page.getByRole("region", { name: "Snapshots" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Overview" })).toHaveCount(0);
  await vmTab(page, "Settings");
  await expect(page.getByRole("heading", { level: 1, name: vm.name })).toBeVisible();
  await expectNoHorizontalScroll(page);

  // The address of a tab is the tab, also on a fresh load; the back button returns to the one before.
  await page.reload();
  await expect(bar.getByRole("link", { name: "Settings" })).toHaveAttribute("aria-current", "page");
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`/vms/local/${vm.uuid}/snapshots$`));
});

test("settings: vCPUs and memory say they apply at next boot, a refused figure is worded beside its field, title, processor model and tags are saved", async ({
  page,
}, testInfo) => {
  vm = await defineIdleDomain(`kvmm-test-settings-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}/settings`);
  const resources = page.getByRole("region", { name: "vCPUs and memory" });
  await expect(resources).toContainText("Changes apply when the VM next starts.");

  await resources.getByLabel("vCPUs", { exact: true }).fill("3");
  await resources.getByLabel("Maximum vCPUs").fill("2");
  await resources.getByRole("button", { name: "Save vCPUs and memory" }).click();
  await expect(resources.getByText("no more vCPUs than the maximum")).toBeVisible();
  await expect(resources.getByLabel("vCPUs", { exact: true })).toBeFocused();
  expect(await virsh(["vcpucount", vm.name, "--config", "--maximum"])).toBe("1");

  await resources.getByLabel("vCPUs", { exact: true }).fill("2");
  await resources.getByLabel("Maximum vCPUs").fill("4");
  await resources.getByLabel("Memory", { exact: true }).fill("64 MiB");
  await resources.getByLabel("Maximum memory").fill("128 MiB");
  await resources.getByRole("button", { name: "Save vCPUs and memory" }).click();
  const notice = page.getByRole("status").filter({ hasText: `${vm.name}: vCPUs 1 → 2: at next boot` });
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("Maximum memory 32 MiB → 128 MiB: at next boot");
  expect(await virsh(["vcpucount", vm.name, "--config", "--maximum"])).toBe("4");
  expect(await virsh(["vcpucount", vm.name, "--config", "--current"])).toBe("2");

  const names = page.getByRole("region", { name: "Name and description" });
  await names.getByLabel("Title").fill("Build server");
  await names.getByLabel("Description").fill("Owned by the CI team.");
  await names.getByRole("button", { name: "Save title and description" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Title and description of ${vm.name} saved.` })).toBeVisible();
  await expect(page.getByText("Build server", { exact: true })).toBeVisible();
  expect(await virsh(["desc", vm.name, "--config", "--title"])).toBe("Build server");

  const processor = page.getByRole("region", { name: "Processor and firmware" });
  await processor.getByLabel("CPU mode", { exact: true }).selectOption({ label: "A named CPU model" });
  const model = processor.getByLabel("CPU model");
  const offered = await model.locator("option").allTextContents();
  const other = offered.find((m) => m !== "qemu64");
  expect(other, `the host offers emulation a second model (${offered.join(", ")})`).toBeTruthy();
  await model.selectOption(other!);
  await processor.getByRole("button", { name: "Save processor" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Processor of ${vm.name} saved: it applies at the VM's next boot.` })).toBeVisible();
  expect(await virsh(["dumpxml", "--inactive", vm.name])).toContain(`<model fallback='forbid'>${other}</model>`);

  const tags = page.getByRole("region", { name: "Start and tags" });
  await tags.getByLabel("Tags").fill("ci, build");
  await tags.getByRole("button", { name: "Save tags" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Tags of ${vm.name} saved.` })).toBeVisible();
  await vmTab(page, "Overview");
  await expect(page.getByRole("region", { name: "Overview" }).getByText("ci, build")).toBeVisible();
  await expectNoHorizontalScroll(page);
  await testInfo.attach("settings", { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });
});

test("settings: the memory hot-plug switch is reached by keyboard, saved for the next boot, and says so at 360 px", async ({ page }, testInfo) => {
  vm = await defineIdleDomain(`kvmm-test-memhp-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await page.setViewportSize({ width: 360, height: 740 });
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}/settings`);
  const resources = page.getByRole("region", { name: "vCPUs and memory" });
  const toggle = resources.getByRole("checkbox", { name: "Memory hot-plug: add memory while the VM runs" });
  await expect(resources).toContainText("Off: more memory than the VM started with applies at its next boot.");
  await expect(toggle).not.toBeChecked();

  await toggle.focus();
  await page.keyboard.press("Space");
  await expect(page.getByRole("status").filter({ hasText: `${vm.name}: memory hot-plug is on from its next boot.` })).toBeVisible();
  await expect(toggle).toBeChecked();
  await expect(resources).toContainText("On: once started, the VM can take more memory while it runs, up to");
  const inactive = await virsh(["dumpxml", "--inactive", vm.name]);
  expect(inactive).toMatch(/<maxMemory slots='16' unit='KiB'>\d+<\/maxMemory>/);
  expect(inactive).toMatch(/<cell id='0' cpus='0' memory='32768' unit='KiB'\/>/);
  await expectNoHorizontalScroll(page);

  await page.keyboard.press("Space");
  await expect(page.getByRole("status").filter({ hasText: `${vm.name}: memory hot-plug is off from its next boot.` })).toBeVisible();
  expect(await virsh(["dumpxml", "--inactive", vm.name])).not.toMatch(/maxMemory|<numa>/);
});

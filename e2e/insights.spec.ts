import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh } from "./fixtures/test-host";
import { ADMIN, navigate, signIn } from "./support/session";

/**
 * Insights on a fresh VM: an idle domain (SeaBIOS, no guest, no agent channel, no snapshot) running
 * on the local host. An admin recomputes now (the daily job's first run waits two minutes after
 * start-up), and the VM shows as without any agent and not snapshotted, on /insights and on its page.
 */

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

test("an admin recomputes the insights and sees an agent-less, never-snapshotted VM on /insights and on its overview", async ({ page }, testInfo) => {
  vm = await defineIdleDomain(`kvmm-test-insight-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await virsh(["start", vm.name]);
  await expect.poll(() => vm!.state()).toBe("running");

  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Insights");
  await expect(page.getByRole("heading", { name: "Insights", level: 1 })).toBeVisible();
  await page.getByRole("button", { name: "Recompute now" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Recomputed: / })).toBeVisible({ timeout: 10_000 });
  await expect(page.getByTestId("insights-computed")).toContainText("on request");

  const about = page.getByTestId("insight").filter({ has: page.getByRole("link", { name: `Open VM ${vm.name}` }) });
  const noAgent = about.and(page.locator('[data-kind="vm.noAgent"]'));
  await expect(noAgent).toContainText("VM without any agent");
  await expect(noAgent).toContainText("Neither our agent nor qemu-guest-agent has ever been seen connected while it runs.");
  await expect(noAgent).toContainText("It has no channel for either agent.");
  await expect(about.and(page.locator('[data-kind="vm.noSnapshot"]'))).toContainText("It has no snapshot.");

  // The kind filter narrows the list to one kind.
  await page.goto("/insights?kind=vm.noSnapshot");
  await expect(page.getByTestId("insight").first()).toBeVisible();
  await expect(page.locator('[data-testid="insight"]:not([data-kind="vm.noSnapshot"])')).toHaveCount(0);

  await page.goto("/insights");
  await about
    .first()
    .getByRole("link", { name: `Open VM ${vm.name}` })
    .click();
  await page.waitForURL((url) => url.pathname === `/vms/local/${vm!.uuid}/overview`);
  const lines = page.getByTestId("vm-insights");
  await expect(lines.locator('[data-kind="vm.noAgent"]')).toContainText("VM without any agent:");
  await expect(lines.locator('[data-kind="vm.noSnapshot"]')).toContainText("VM not snapshotted: It has no snapshot.");
});

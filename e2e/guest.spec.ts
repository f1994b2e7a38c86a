import { expect, test } from "@playwright/test";
import { bootAgentGuest } from "../server/guest/testing/agent-guest";
import type { TestDomain } from "./fixtures/test-host";
import { ADMIN, signIn } from "./support/session";

let guest: TestDomain | undefined;

test.afterEach(async () => {
  await guest?.destroy();
  guest = undefined;
});

test("the VM page shows what the agent inside reports, and runs a command in the guest", async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const hostname = `e2e-${testInfo.project.name}`;
  const booted = await bootAgentGuest({ label: `e2e-guest-${testInfo.project.name}`, hostname, qemuGuestAgent: true, memoryMiB: 512 });
  guest = booted.guest;
  await guest.waitForReady(120_000);

  await signIn(page, ADMIN.username, ADMIN.password);
  await page.goto(`/vms/local/${guest.uuid}/guest`);
  const inside = page.getByRole("region", { name: "Inside the guest" });
  await expect(inside.getByText("connected", { exact: true }).first()).toBeVisible({ timeout: 120_000 });
  await expect(inside.getByText(hostname, { exact: true })).toBeVisible({ timeout: 60_000 });
  await expect(inside.getByText(booted.image.kernelRelease, { exact: false }).first()).toBeVisible();

  await inside.getByLabel("Run a command in the guest").fill("uname -n");
  await inside.getByRole("button", { name: "Run" }).click();
  await expect(inside.getByTestId("guest-stdout")).toContainText(hostname, { timeout: 60_000 });
  await expect(inside.getByText("Exit code 0")).toBeVisible();
});

import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { bootAgentGuest } from "../server/guest/testing/agent-guest";
import type { TestGuestImage } from "./fixtures/guest-image";
import { defineIdleDomain } from "./fixtures/idle-domain";
import { virsh, type TestDomain } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn } from "./support/session";

/**
 * One busybox guest with our agent (and no qemu-guest-agent, so nothing else can set a password)
 * shared by the desktop tests below, which run in order in one worker. @desktop: what the agent reports and
 * refuses is the same at any width; the phone checks the tab's layout (and the password form's focus) on a VM that needs no boot.
 */
test.describe("with our agent in a booted guest", { tag: "@desktop" }, () => {
  let guest: TestDomain | undefined;
  let image: TestGuestImage;
  let hostname: string;

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the fixtures argument to pass testInfo
  test.beforeAll(async ({}, testInfo) => {
    testInfo.setTimeout(240_000);
    hostname = `e2e-${testInfo.project.name}`;
    const booted = await bootAgentGuest({ label: `e2e-guest-${testInfo.project.name}`, hostname, memoryMiB: 512 });
    guest = booted.guest;
    image = booted.image;
    await guest.waitForReady(120_000);
  });

  test.afterAll(async () => {
    await guest?.destroy();
    guest = undefined;
  });

  test("the VM page shows what the agent inside reports, and runs a command in the guest", async ({ page }) => {
    test.setTimeout(240_000);
    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${guest!.uuid}/guest`);
    const inside = page.getByRole("region", { name: "Inside the guest" });
    await expect(inside.getByText("connected", { exact: true }).first()).toBeVisible({ timeout: 120_000 });
    await expect(inside.getByText(hostname, { exact: true })).toBeVisible({ timeout: 60_000 });
    await expect(inside.getByText(image.kernelRelease, { exact: false }).first()).toBeVisible();

    await inside.getByLabel("Run a command in the guest").fill("uname -n");
    await inside.getByRole("button", { name: "Run" }).click();
    await expect(inside.getByTestId("guest-stdout")).toContainText(hostname, { timeout: 60_000 });
    await expect(inside.getByText("Exit code 0")).toBeVisible();
  });

  test("Services says the busybox guest has no systemd or OpenRC; Reset password names empty and differing fields, then shows the agent's refusal with its switch off", async ({
    page,
  }) => {
    test.setTimeout(120_000);
    await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${guest!.uuid}/guest`);
    const services = page.getByRole("region", { name: "Services" });
    await expect(services.getByText("The guest runs neither systemd nor OpenRC, so the agent has no services to list or manage.", { exact: true })).toBeVisible(
      {
        timeout: 60_000,
      },
    );
    await expect(services.getByText(/guest agent: list_services: .*the guest runs neither systemd nor OpenRC/)).toBeVisible();

    await page.getByRole("region", { name: "Accounts" }).getByRole("button", { name: "Reset password…" }).click();
    const dialog = page.getByRole("dialog", { name: /Reset a password in/ });
    await expect(dialog.getByLabel("Account", { exact: true })).toHaveValue("root");
    await expect(dialog.getByText("Neither agent can set it now", { exact: false })).toBeVisible();
    const password = dialog.getByLabel("New password", { exact: true });
    const again = dialog.getByLabel("New password again");
    await dialog.getByRole("button", { name: "Set password" }).click();
    await expect(dialog.getByText("Enter the new password.")).toBeVisible();
    await expect(password).toHaveAttribute("aria-invalid", "true");
    await expect(password).toBeFocused();

    const secret = `pw-${test.info().project.name}-e2e`;
    await password.fill(secret);
    await again.fill(`${secret}x`);
    await dialog.getByRole("button", { name: "Set password" }).click();
    await expect(dialog.getByText("The two passwords differ.")).toBeVisible();
    await expect(again).toBeFocused();

    await again.fill(secret);
    await dialog.getByRole("button", { name: "Show passwords" }).click();
    await expect(password).toHaveAttribute("type", "text");
    await dialog.getByRole("button", { name: "Set password" }).click();
    await expect(dialog.getByRole("alert")).toContainText("set_user_password_enabled in /etc/kvmmanager-agent/config.json");
    await expect(dialog.getByRole("alert")).toContainText("qemu-guest-agent is not connected");
    await expectNoHorizontalScroll(page);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.locator("body")).not.toContainText(secret);
  });
});

test(
  "on a phone the Guest tab of a running VM without agents fits the screen, and the password form focuses the field it refuses",
  { tag: "@phone" },
  async ({ page }, testInfo) => {
    const vm = await defineIdleDomain(`kvmm-test-e2e-guest-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
    try {
      await virsh(["start", vm.name]);
      await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${vm.uuid}/guest`);
      for (const name of ["Inside the guest", "Services", "Accounts"]) await expect(page.getByRole("region", { name })).toBeVisible();
      await expectNoHorizontalScroll(page);

      await page.getByRole("region", { name: "Accounts" }).getByRole("button", { name: "Reset password…" }).click();
      const dialog = page.getByRole("dialog", { name: `Reset a password in ${vm.name}` });
      await expect(dialog.getByText("Neither agent can set it now", { exact: false })).toBeVisible();
      const password = dialog.getByLabel("New password", { exact: true });
      await dialog.getByRole("button", { name: "Set password" }).click();
      await expect(dialog.getByText("Enter the new password.")).toBeVisible();
      await expect(password).toBeFocused();
      await expect(password).toBeInViewport();
      await expectNoHorizontalScroll(page);
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await expect(dialog).toBeHidden();
    } finally {
      await vm.remove();
    }
  },
);

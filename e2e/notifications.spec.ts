import { expect, test } from "@playwright/test";
import { ADMIN, signIn, unique } from "./support/session";
import { startSmtpReceiver } from "../server/notifications/testing/receivers";

// Settings → Alert notifications as an admin uses it: a webhook endpoint added, SMTP settings
// saved and a test e-mail received by an smtp-server this spec runs (and a wrong port answered in
// words next to the form), then a rule told to notify the webhook on /alerts/rules.

test("an admin adds a webhook and SMTP settings, sends a test e-mail, and chooses the webhook for a rule", async ({ page }, testInfo) => {
  const smtp = await startSmtpReceiver();
  const hook = unique(testInfo, "e2e-hook");
  const to = `${testInfo.project.name}@example.com`;
  try {
    await signIn(page, ADMIN.username, ADMIN.password, "/settings");
    const section = page.getByRole("region", { name: "Alert notifications" });

    const webhookForm = section.getByTestId("webhook-form");
    await webhookForm.getByLabel("Name").fill(hook);
    await webhookForm.getByLabel("Address (URL)").fill("http://127.0.0.1:9/kvmm");
    await webhookForm.getByLabel("Secret").fill("e2e-webhook-secret-0123456789");
    await webhookForm.getByRole("button", { name: "Add webhook" }).click();
    await expect(section.getByRole("list", { name: "Webhooks" }).getByRole("listitem").filter({ hasText: hook })).toBeVisible();

    const smtpForm = section.getByTestId("smtp-form");
    await smtpForm.getByLabel("Server").fill("127.0.0.1");
    await smtpForm.getByLabel("Port").fill(String(smtp.port));
    await smtpForm.getByLabel("Security").selectOption("none");
    await smtpForm.getByLabel("Sender address").fill("kvmm-e2e@example.com");
    await smtpForm.getByRole("button", { name: "Save SMTP settings" }).click();
    await expect(page.getByText("SMTP settings saved.")).toBeVisible();

    await smtpForm.getByLabel("Send a test to").fill(to);
    await smtpForm.getByRole("button", { name: "Send test e-mail" }).click();
    await expect(smtpForm.getByTestId("smtp-test-result")).toHaveText("The test e-mail was accepted by the server.");
    await expect.poll(() => smtp.received.filter((m) => m.to.includes(to)).map((m) => m.subject)).toEqual(["KVM Manager: test e-mail"]);

    // Port 1: nothing listens, the connection is refused, and the form says so.
    await smtpForm.getByLabel("Port").fill("1");
    await smtpForm.getByRole("button", { name: "Send test e-mail" }).click();
    await expect(smtpForm.getByTestId("smtp-test-result")).toHaveText(
      "The test e-mail failed: SMTP server 127.0.0.1:1: connection refused (nothing listens on that port?)",
    );

    await page.goto("/alerts/rules");
    const rule = page.getByTestId("alert-rule").filter({ hasText: "VM crashed" }).first();
    await rule.getByLabel(hook).check();
    await rule.getByRole("button", { name: "Save notifications" }).click();
    await expect(page.getByText("Notifications of “VM crashed” saved.")).toBeVisible();
    await page.reload();
    await expect(page.getByTestId("alert-rule").filter({ hasText: "VM crashed" }).first().getByLabel(hook)).toBeChecked();

    // Leave the shared database as it was: the webhook goes, and with it the rule's choice.
    await page.goto("/settings");
    await section.getByRole("button", { name: `Delete ${hook}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await expect(section.getByRole("listitem").filter({ hasText: hook })).toHaveCount(0);
  } finally {
    await smtp.close();
  }
});

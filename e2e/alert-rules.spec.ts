import { randomBytes } from "node:crypto";
import { expect, test } from "@playwright/test";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { virsh } from "./fixtures/test-host";
import { badgeAgrees } from "./support/alerts";
import { ADMIN, signIn, signOut, unique } from "./support/session";

/**
 * The rule editor and silences in the browser. An idle domain (SeaBIOS, nothing to boot) is the
 * VM a rule is scoped to; destroyed with virsh at the start — outside the manager — it fires the
 * default "VM crashed" rule on the collector's next tick, ready for the operator to silence while
 * the admin edits a rule.
 */

let vm: IdleDomain | undefined;

// eslint-disable-next-line no-empty-pattern
test.afterEach(async ({}) => {
  await vm?.remove();
  vm = undefined;
});

test("an admin creates, fixes, edits, disables and deletes a rule; an operator silences a firing alert out of the badge and may not edit rules", async ({
  page,
}, testInfo) => {
  test.setTimeout(90_000);
  const operator = unique(testInfo, `kvmm-test-rules-op-${randomBytes(3).toString("hex")}`);
  const password = "a-rules-password-1";
  const ruleName = unique(testInfo, "kvmm-test-rule");
  vm = await defineIdleDomain(`kvmm-test-rules-${testInfo.project.name}-${randomBytes(3).toString("hex")}`);
  await virsh(["start", vm.name]);
  await expect.poll(() => vm!.state()).toBe("running");
  await virsh(["destroy", vm.name]);

  await signIn(page, ADMIN.username, ADMIN.password);
  const created = await page.request.post("/api/trpc/users.create", { data: { username: operator, role: "operator", password } });
  expect(created.status(), await created.text()).toBe(200);

  await page.goto("/alerts/rules");
  await page.getByRole("button", { name: "New rule" }).click();
  await page.getByLabel("Name").fill(ruleName);
  await page.getByLabel("Where").selectOption({ label: "One VM" });
  await page.getByLabel("VM", { exact: true }).selectOption({ label: vm.name });
  await expect(page.getByTestId("rule-preview")).toContainText("1 VM");
  await expect(page.getByTestId("rule-preview")).toContainText(vm.name);
  await page.getByLabel("Threshold (%)").fill("50");
  const resolve = page.getByLabel("Resolves at (%)");
  await resolve.fill("60");
  await page.getByRole("button", { name: "Create rule" }).click();
  await expect(page.locator("#rule-resolve-error")).toHaveText("Resolve threshold: the resolve threshold must not be above the threshold.");
  await expect(resolve).toHaveAttribute("aria-invalid", "true");
  await resolve.fill("40");
  await page.getByRole("button", { name: "Create rule" }).click();
  const rule = page.getByTestId("alert-rule").filter({ hasText: ruleName });
  await expect(rule).toContainText(`VM ${vm.name}`);
  await expect(rule).toContainText("above 50.0 %");

  await rule.getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Threshold (%)").fill("70");
  await page.getByRole("button", { name: "Save rule" }).click();
  await expect(rule).toContainText("above 70.0 %");
  const enabled = rule.getByRole("checkbox", { name: /Enabled/ });
  await enabled.uncheck();
  await expect(enabled).not.toBeChecked();
  await page.reload();
  await expect(rule.getByRole("checkbox", { name: /Enabled/ })).not.toBeChecked();
  await rule.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete the alert rule "${ruleName}"?` });
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(rule).toHaveCount(0);
  await signOut(page);

  await signIn(page, operator, password, `/alerts?uuid=${vm.uuid}`);
  const alert = page.getByTestId("alert").filter({ hasText: "VM crashed" });
  await expect(alert.getByTestId("alert-state")).toHaveText("Firing", { timeout: 30_000 });
  const alertId = Number(await alert.getAttribute("data-alert-id"));
  await alert.getByRole("button", { name: "Silence…" }).click();
  const silence = page.getByRole("dialog", { name: 'Silence alerts like "VM crashed"' });
  await expect(silence.getByLabel("What to silence")).toHaveValue("vm");
  await silence.getByLabel("For how long").selectOption({ label: "1 hour" });
  await silence.getByLabel("Reason").fill("planned maintenance");
  await silence.getByRole("button", { name: "Silence", exact: true }).click();
  await expect(page.getByRole("status", { name: "Notices" })).toContainText("Silenced until");
  await expect(alert).toContainText("Silenced");
  // Other alerts may fire meanwhile (the collector watches the whole host): the badge must equal the
  // unsilenced firing alerts, of which this one is no longer one.
  await expect.poll(() => badgeAgrees(page, alertId)).toEqual({ firing: true, silenced: true, badgeMatches: true });

  await page.goto("/alerts/rules");
  await expect(page.getByText("Only administrators change alert rules.")).toBeVisible();
  await expect(page.getByRole("button", { name: /New rule|Edit|Delete/ })).toHaveCount(0);
  for (const box of await page.getByTestId("alert-rule").getByRole("checkbox").all()) await expect(box).toBeDisabled();
  const refused = await page.request.post("/api/trpc/alerts.createRule", {
    data: {
      name: "sneaky",
      metric: "vm.cpu",
      scope: { kind: "all" },
      comparison: ">",
      threshold: 50,
      resolveThreshold: 40,
      forMs: 0,
      severity: "info",
      enabled: true,
    },
  });
  expect(refused.status(), await refused.text()).toBe(403);
  expect(((await refused.json()) as { error: { data: { code: string } } }).error.data.code).toBe("FORBIDDEN");
});

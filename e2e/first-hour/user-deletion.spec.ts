import { expect, test } from "@playwright/test";
import { ADMIN, signIn, unique } from "../support/session";

test("an admin deletes a user after typing its name, and finds what happened by searching the audit log for it", async ({ page }, testInfo) => {
  const username = unique(testInfo, "kvmm-test-gone");
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create user" }).click();
  const card = page.getByRole("listitem", { name: `User ${username}` });
  await expect(card).toBeVisible();

  await card.getByRole("button", { name: "Delete…" }).click();
  const confirm = page.getByRole("dialog", { name: `Delete user ${username}?` });
  const yes = confirm.getByRole("button", { name: "Yes, delete this user" });
  await expect(yes).toBeDisabled();
  await confirm.getByLabel(`Type ${username} to confirm`).fill(username);
  await yes.click();
  await expect(card).toHaveCount(0);

  await page.goto(`/audit?target=${encodeURIComponent(username)}`);
  const entries = page.getByRole("list", { name: "Audit entries, newest first" }).getByRole("listitem");
  await expect(entries.first()).toContainText("users.delete");
  await expect(entries.first()).toContainText(`user "${username}"`);
  await expect(entries.filter({ hasText: "users.create" })).toHaveCount(1);
});

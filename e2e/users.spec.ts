import { expect, test } from "@playwright/test";
import { ADMIN, navigate, signIn, signOut, unique } from "./support/session";

test("an admin creates a viewer, who can sign in but not manage users", async ({ page }, testInfo) => {
  const username = unique(testInfo, "vivian");
  await signIn(page, ADMIN.username, ADMIN.password);
  await navigate(page, "Users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create user" }).click();
  const password = (await page.getByTestId("one-time-password").textContent())?.trim() ?? "";
  expect(password.length).toBeGreaterThanOrEqual(16);
  await expect(page.getByRole("listitem", { name: `User ${username}` })).toBeVisible();
  await signOut(page);

  await signIn(page, username, password);
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  const response = await page.goto("/users");
  expect(response?.status()).toBe(404);
});

test("an admin disables a user, whose next sign-in then fails", async ({ page }, testInfo) => {
  const username = unique(testInfo, "dora");
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.goto("/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Initial password").fill("dora-password-1");
  await page.getByRole("button", { name: "Create user" }).click();
  const card = page.getByRole("listitem", { name: `User ${username}` });
  await card.getByRole("button", { name: "Disable" }).click();
  await expect(card.getByText("disabled", { exact: true })).toBeVisible();
  await navigate(page, "Audit log");
  await expect(page.getByText(`user "${username}"`).first()).toBeVisible();
  await expect(page.getByText("users.setDisabled").first()).toBeVisible();
});

test("a user changes their own password and signs in with the new one", async ({ page }, testInfo) => {
  const username = unique(testInfo, "petra");
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.goto("/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Initial password").fill("petra-password-1");
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("listitem", { name: `User ${username}` })).toBeVisible();
  await signOut(page);

  await signIn(page, username, "petra-password-1");
  await navigate(page, "Settings");
  await page.getByLabel("Current password").fill("petra-password-1");
  await page.getByLabel("New password", { exact: true }).fill("petra-password-2");
  await page.getByLabel("Repeat new password").fill("petra-password-2");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Password changed." })).toBeVisible();
  await signOut(page);
  await signIn(page, username, "petra-password-2");
});

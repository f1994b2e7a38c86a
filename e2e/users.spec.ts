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
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible();
});

// @desktop: a disabled user's refused sign-in is the server's, the same at any width.
test("an admin disables a user, whose next sign-in then fails", { tag: "@desktop" }, async ({ page, browser }, testInfo) => {
  const username = unique(testInfo, "dora");
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Initial password").fill("dora-password-1");
  await page.getByRole("button", { name: "Create user" }).click();
  const card = page.getByRole("listitem", { name: `User ${username}` });
  await card.getByRole("button", { name: "Disable" }).click();
  await expect(card.getByText("disabled", { exact: true })).toBeVisible();

  // Dora, in her own browser, types her right password: the same error as a wrong one, and no session.
  const doras = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const dora = await doras.newPage();
    await dora.goto("/login");
    await dora.getByLabel("Username").fill(username);
    await dora.getByLabel("Password").fill("dora-password-1");
    await dora.getByRole("button", { name: "Sign in" }).click();
    await expect(dora.getByRole("alert").filter({ hasText: "Invalid username or password" })).toBeVisible();
    await dora.goto("/");
    await expect(dora).toHaveURL(/\/login/);
  } finally {
    await doras.close();
  }

  // This run's rows about her (the other viewport's user has another name): the admin's change, and the
  // refusal with the reason the error on the form does not give.
  await navigate(page, "Audit log");
  const aboutDora = page
    .getByRole("list", { name: "Audit entries, newest first" })
    .getByRole("listitem")
    .filter({ hasText: `user "${username}"` });
  await expect(aboutDora.filter({ hasText: "users.setDisabled" }).filter({ hasText: '"disabled":true' })).toHaveCount(1);
  await expect(aboutDora.filter({ hasText: "auth.login" }).filter({ hasText: "account disabled" })).toHaveCount(1);
});

test("a user changes their own password and signs in with the new one", async ({ page }, testInfo) => {
  const username = unique(testInfo, "petra");
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
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

import { expect, test } from "@playwright/test";
import { ADMIN, signIn, signOut, unique } from "../support/session";

/**
 * A page a role may not open answers 403 with the app's shell around a plain explanation — the
 * same for every such page. (/audit answered 500 to operators and viewers, /users 404.)
 */
const ADMIN_ONLY = ["/audit", "/users", "/vms/new"];

test("an operator opening admin pages gets a 403 page inside the app, not an error or a 404", async ({ page }, testInfo) => {
  const username = unique(testInfo, "kvmm-test-olga");
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Role", { exact: true }).selectOption("operator");
  await page.getByRole("button", { name: "Create user" }).click();
  const password = (await page.getByTestId("one-time-password").textContent())?.trim() ?? "";
  await signOut(page);

  await signIn(page, username, password);
  for (const path of ADMIN_ONLY) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "Not allowed" }), path).toBeVisible();
    // The shell stays: the user can go on from here.
    await expect(page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByRole("link", { name: "VMs" }), path).toBeVisible();
  }
  // Pages the role may open still answer 200.
  expect((await page.goto("/storage"))?.status()).toBe(200);
});

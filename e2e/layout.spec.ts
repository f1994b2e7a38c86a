import { expect, test } from "@playwright/test";
import { ADMIN, expectNoHorizontalScroll, signIn } from "./support/session";

test("every page fits the viewport without sideways scrolling, with navigation reachable", async ({ page }) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  for (const path of ["/", "/vms", "/vms/new", "/users", "/audit", "/settings"]) {
    await page.goto(path);
    await expectNoHorizontalScroll(page);
    await expect(page.getByRole("navigation", { name: "Main" }).filter({ visible: true })).toHaveCount(1);
  }
});

test("the theme toggle switches to dark and back, and the choice survives a reload", async ({ page }) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  const html = page.locator("html");
  const toggle = page.getByRole("button", { name: /theme/ });
  // system (light in the test browser) → light → dark
  await toggle.click();
  await expect(html).not.toHaveClass(/dark/);
  await toggle.click();
  await expect(html).toHaveClass(/dark/);
  await page.reload();
  await expect(html).toHaveClass(/dark/);
  await page.getByRole("button", { name: /theme/ }).click();
  await expect(html).not.toHaveClass(/dark/);
});

test("the main navigation is keyboard reachable", async ({ page }) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  const settings = page.getByRole("navigation", { name: "Main" }).filter({ visible: true }).getByRole("link", { name: "Settings" });
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press("Tab");
    if (await settings.evaluate((el) => el === document.activeElement)) break;
  }
  await expect(settings).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

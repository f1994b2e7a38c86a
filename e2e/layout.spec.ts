import { expect, test } from "@playwright/test";
import { ADMIN, expectNoHorizontalScroll, navigate, signIn } from "./support/session";

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

test("the main navigation is keyboard reachable, including the phone bar's More menu", async ({ page }) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  const nav = page.getByRole("navigation", { name: "Main" }).filter({ visible: true });
  const more = nav.locator("summary", { hasText: "More" });
  // By href, not role: while the More menu is closed the link is hidden, and role queries skip hidden elements.
  const settings = nav.locator('a[href="/settings"]');
  const focused = (l: typeof settings) => l.evaluate((el) => el === document.activeElement);
  const phone = await more.isVisible();
  // A bound on the Tab presses, well above the stops before Settings (the header with its task tray, the bar, the More menu's links).
  for (let i = 0; i < 50; i++) {
    await page.keyboard.press("Tab");
    if (phone && (await more.evaluate((el) => el === document.activeElement))) {
      await page.keyboard.press("Enter");
      await expect(settings).toBeVisible();
    }
    if (await focused(settings)) break;
  }
  await expect(settings).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
});

test("on a phone every page an admin has stays one tap or two away, none off-screen", async ({ page }) => {
  await signIn(page, ADMIN.username, ADMIN.password);
  const nav = page.getByRole("navigation", { name: "Main" }).filter({ visible: true });
  const viewport = page.viewportSize()!;
  for (const label of ["Dashboard", "VMs", "Alerts", "Storage", "Networks", "Insights", "Users", "Audit log", "Settings"]) {
    await navigate(page, label);
    const box = await nav.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= viewport.width, `navigation fits the ${viewport.width} px screen`).toBeTruthy();
  }
});

// Every page is rendered per request, so a link fetched ahead of a click is a server render nobody asked
// for (app/_components/link.tsx): the Dashboard's menu and summary cards, then a client-side navigation.
test("opening a page asks the server for no other page: links are fetched when followed, not ahead", async ({ page }) => {
  const ahead: string[] = [];
  page.on("request", (request) => {
    if (request.headers()["next-router-prefetch"]) ahead.push(request.url());
  });
  await signIn(page, ADMIN.username, ADMIN.password);
  await page.waitForLoadState("networkidle");
  await navigate(page, "Storage");
  await page.waitForLoadState("networkidle");
  expect(ahead).toEqual([]);
});

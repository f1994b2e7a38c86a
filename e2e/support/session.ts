import { expect, type Locator, type Page, type TestInfo } from "@playwright/test";

export const ADMIN = { username: "admin", password: process.env.KVMM_E2E_ADMIN_PASSWORD ?? "" };

export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out", exact: true }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
}

/** Both viewports run against one server and database, so names a test creates carry the project's name. */
export function unique(testInfo: TestInfo, base: string) {
  return `${base}-${testInfo.project.name}`;
}

export async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, "page scrolls sideways").toBeLessThanOrEqual(0);
}

/** Each control is shown and lies within the viewport's width, where a thumb reaches it by scrolling down only. */
export async function expectWithinWidth(page: Page, controls: Locator[]) {
  const { width } = page.viewportSize()!;
  for (const control of controls) {
    await expect(control).toBeVisible();
    const box = await control.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= width, `${control} lies within the ${width} px width`).toBe(true);
  }
}

/** Follows a main-navigation link the way a user would, opening the phone bar's "More" menu when the link is in it. */
export async function navigate(page: Page, label: string) {
  const nav = page.getByRole("navigation", { name: "Main" }).filter({ visible: true });
  const link = nav.getByRole("link", { name: label, includeHidden: true });
  const href = await link.getAttribute("href");
  if (!(await link.isVisible())) await nav.getByText("More", { exact: true }).click();
  await link.click();
  // The next click must not race the client-side navigation that this one started.
  await page.waitForURL((url) => url.pathname === href);
}

/** Opens one of the VM page's tabs by its link in the tab bar (which scrolls sideways on a phone), and waits for its address. */
export async function vmTab(page: Page, label: string) {
  const link = page.getByRole("navigation", { name: "VM sections" }).getByRole("link", { name: label, exact: true });
  const href = await link.getAttribute("href");
  await link.click();
  await page.waitForURL((url) => url.pathname === href);
  await expect(link).toHaveAttribute("aria-current", "page");
}

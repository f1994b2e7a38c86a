import { expect, type Locator, type Page, type TestInfo } from "@playwright/test";

export const ADMIN = { username: "admin", password: process.env.KVMM_E2E_ADMIN_PASSWORD ?? "" };

/** Signs in with the login form, as a user does, and waits for the Dashboard. */
export async function signInWithForm(page: Page, username: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
}

/**
 * Signs in by posting what the login form posts (the same endpoint, CSRF token and checks), into the
 * page's own cookie jar, then opens `path` (the Dashboard unless told). For tests whose subject is not
 * the form (login.spec.ts and the accessibility spec cover it): the form's page and the Dashboard a
 * test would leave at once cost each test ~3 s of CPU on 2 cores (measured, a fresh browser context).
 */
export async function signIn(page: Page, username: string, password: string, path = "/") {
  const request = page.context().request;
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const res = await request.post("/api/auth/callback/credentials", { form: { csrfToken, username, password, json: "true" }, maxRedirects: 0 });
  expect(res.status(), `signing in as ${username}: ${await res.text()}`).toBe(200);
  await page.goto(path);
  if (path === "/") await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  else expect(new URL(page.url()).pathname, `signed in as ${username}, ${path} opens`).not.toBe("/login");
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

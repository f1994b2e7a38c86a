import { expect, test, type Page } from "@playwright/test";
import { ADMIN, navigate, signIn, signOut, unique } from "./support/session";
import { expectSameDocument, markDocument } from "./support/same-document";

/**
 * The tab's live event stream: one connection however many pages and panels listen, and a tab
 * whose session ends elsewhere goes to the sign-in form instead of retrying forever.
 */

function countEventStreams(page: Page): () => number {
  let opened = 0;
  page.on("request", (req) => {
    if (new URL(req.url()).pathname === "/api/events") opened += 1;
  });
  return () => opened;
}

// @desktop: the event stream and the session behind it are the same at any width.
test("one event stream serves the whole tab, across pages", { tag: "@desktop" }, async ({ page }) => {
  // Counted from before sign-in: the layout opens the stream once it has hydrated, which may be after the dashboard shows.
  const opened = countEventStreams(page);
  await signIn(page, ADMIN.username, ADMIN.password);
  await expect.poll(opened, { message: "the signed-in layout opens the tab's stream" }).toBe(1);
  for (const label of ["VMs", "Storage", "Networks", "Dashboard"]) await navigate(page, label);
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  expect(opened(), "client-side navigation keeps the stream the layout opened").toBe(1);
});

// @desktop: the event stream and the session behind it are the same at any width.
test(
  "the dashboard shows the host's CPU and memory in use, and the CPU figure follows the collector's ticks without a reload",
  { tag: "@desktop" },
  async ({ page }) => {
    await signIn(page, ADMIN.username, ADMIN.password, "/");
    const cpu = page.getByTestId("host-cpu").first();
    await expect(cpu).toHaveText(/^\d[\d.,]* %$/, { timeout: 20_000 });
    await expect(page.getByTestId("host-memory").first()).toHaveText(/ of /);
    await markDocument(page);
    const first = await cpu.textContent();
    // A busy or idle host's CPU share, to a tenth of a percent, moves from one 5 s tick to another.
    await expect.poll(() => cpu.textContent(), { timeout: 30_000 }).not.toBe(first);
    await expectSameDocument(page, "no reload");
  },
);

// @desktop: the event stream and the session behind it are the same at any width.
test("a tab whose session ends elsewhere is sent to sign in, and comes back to its page after", { tag: "@desktop" }, async ({ page, browser }, testInfo) => {
  const username = unique(testInfo, "kvmm-test-session-end");
  const password = "session-end-password-1";
  await signIn(page, ADMIN.username, ADMIN.password, "/users");
  await page.getByLabel("New username").fill(username);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByLabel("Initial password").fill(password);
  await page.getByRole("button", { name: "Create user" }).click();
  const userCard = page.getByRole("listitem", { name: `User ${username}` });
  await expect(userCard).toBeVisible();

  // The user's own browser: a separate context, so a separate session.
  const theirs = await (await browser.newContext({ baseURL: testInfo.project.use.baseURL, ignoreHTTPSErrors: true })).newPage();
  await signIn(theirs, username, password);
  await navigate(theirs, "VMs");
  await expect(theirs.getByRole("heading", { name: "Virtual machines" })).toBeVisible();

  // A role change ends the user's sessions on the server; their open tab learns it from its event stream.
  await userCard.getByLabel(`Role of ${username}`).selectOption("operator");
  await page
    .getByRole("dialog", { name: `Make ${username} an operator?` })
    .getByRole("button", { name: "Make operator" })
    .click();
  await expect(theirs).toHaveURL(/\/login\?callbackUrl=%2Fvms$/, { timeout: 30_000 });
  await expect(theirs.getByRole("button", { name: "Sign in" })).toBeVisible();

  await theirs.getByLabel("Username").fill(username);
  await theirs.getByLabel("Password").fill(password);
  await theirs.getByRole("button", { name: "Sign in" }).click();
  await expect(theirs.getByRole("heading", { name: "Virtual machines" })).toBeVisible();
  await theirs.context().close();
  await signOut(page);
});

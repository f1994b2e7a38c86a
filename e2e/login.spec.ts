import os from "node:os";
import { expect, test } from "@playwright/test";
import { ADMIN, signIn, signInWithForm, signOut, unique } from "./support/session";
import { virsh } from "./fixtures/test-host";

test("a signed-out visitor is sent to a labelled login form", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByLabel("Username")).toBeVisible();
  await expect(page.getByLabel("Password")).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
});

test("a wrong password gets one generic error and no session", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Invalid username or password" })).toBeVisible();
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

test("the admin signs in, sees this host's real data from libvirt, and signs out", async ({ page }) => {
  // What libvirtd itself reports, whichever release this machine runs.
  const version = await virsh(["version", "--daemon"]);
  const daemon = /^Running against daemon: (\S+)$/m.exec(version)?.[1];
  const hypervisor = /^Running hypervisor: (QEMU \S+)$/m.exec(version)?.[1];
  expect(daemon && hypervisor, version).toBeTruthy();
  await signInWithForm(page, ADMIN.username, ADMIN.password);
  const host = page.getByRole("region", { name: `${os.hostname()} (qemu:///system)` });
  await expect(host).toBeVisible();
  await expect(host.getByText(os.hostname(), { exact: true })).toBeVisible();
  await expect(host.getByText("libvirt", { exact: true })).toBeVisible();
  await expect(host.getByText(daemon!, { exact: true })).toBeVisible();
  await expect(host.getByText(hypervisor!, { exact: true })).toBeVisible();
  await expect(host.getByText(`${os.cpus().length} (`, { exact: false })).toBeVisible();
  await signOut(page);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login/);
});

// @desktop: where a callback address leads is the server's answer, the same at any width.
test("after signing in, a callback address that leaves the site lands on the dashboard instead", { tag: "@desktop" }, async ({ page, baseURL }) => {
  await page.goto("/login?callbackUrl=/%5Cevil.example");
  await page.getByLabel("Username").fill(ADMIN.username);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Dashboard" })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
  await signOut(page);
});

// @desktop: sessions are the server's, the same at any width; Settings at phone width is layout.spec's.
test(
  "Settings lists where the user is signed in, and 'sign out everywhere' ends this session too",
  { tag: "@desktop" },
  async ({ page, browser }, testInfo) => {
    // A user of its own: signing the shared admin out everywhere would end the sessions of the tests running beside this one.
    const username = unique(testInfo, "kvmm-test-everywhere");
    const password = "everywhere-password-1";
    await signIn(page, ADMIN.username, ADMIN.password);
    const created = await page.request.post("/api/trpc/users.create", { data: { username, role: "viewer", password } });
    expect(created.status(), await created.text()).toBe(200);
    await signOut(page);
    // A second browser signed in as the same user: it must lose its session as well.
    const other = await browser.newContext({ ignoreHTTPSErrors: true });
    const otherPage = await other.newPage();
    await signIn(otherPage, username, password);
    await signIn(page, username, password, "/settings");
    const devices = page.getByRole("list", { name: "Signed-in devices" });
    await expect(devices.getByText("this device")).toBeVisible();
    expect(await devices.getByRole("listitem").count()).toBeGreaterThanOrEqual(2);
    await page.getByRole("button", { name: "Sign out everywhere…" }).click();
    await page.getByRole("dialog", { name: "Sign out everywhere?" }).getByRole("button", { name: "Sign out everywhere" }).click();
    await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
    await otherPage.goto("/");
    await expect(otherPage).toHaveURL(/\/login/);
    await other.close();
  },
);

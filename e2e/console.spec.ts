import { expect, test, type Page } from "@playwright/test";
import { createTestDomain, READY_MARKER, type TestDomain } from "./fixtures/test-host";
import { ADMIN, expectNoHorizontalScroll, signIn, signOut, unique } from "./support/session";

let guest: TestDomain | undefined;

test.afterEach(async () => {
  await guest?.destroy();
  guest = undefined;
});

/** How many different pixel values the noVNC canvas holds (1 = one flat colour, or nothing drawn yet). */
function distinctPixels(page: Page): Promise<number> {
  return page.getByTestId("vnc-screen").evaluate((screen) => {
    const canvas = screen.querySelector("canvas");
    if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length && seen.size < 16; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
    return seen.size;
  });
}

test("an operator sees the guest's screen, sends Ctrl+Alt+Del, reads the boot on the serial console, and a second tab takes it over", async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  guest = await createTestDomain({ label: `e2e-console-${testInfo.project.name}`, display: true });
  await guest.waitForReady(120_000);

  const operator = unique(testInfo, "console-op");
  const password = "an-operator-password-1";
  await signIn(page, ADMIN.username, ADMIN.password);
  const created = await page.request.post("/api/trpc/users.create", { data: { username: operator, role: "operator", password } });
  expect(created.status(), await created.text()).toBe(200);
  await signOut(page);
  await signIn(page, operator, password);

  await page.goto(`/vms/local/${guest.uuid}/console`);
  await expect(page.getByRole("heading", { name: "Console", level: 2 })).toBeVisible();
  await expect(page.getByRole("tab", { name: "Graphical" })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByRole("status").filter({ hasText: "Connected. Click the screen" })).toBeVisible({ timeout: 30_000 });
  // The kernel's text on the VGA console: more than one colour on the canvas.
  await expect.poll(() => distinctPixels(page), { timeout: 60_000, message: "the noVNC canvas shows the guest's screen" }).toBeGreaterThan(1);
  await expectNoHorizontalScroll(page);
  await testInfo.attach(`console-graphical-${testInfo.project.name}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  // Ctrl+Alt+Del reaches the guest's kernel, whose init reboots on it: the readiness marker comes again.
  const before = (await guest.serialLog()).length;
  await page.getByText("Send keys", { exact: true }).click();
  await page.getByRole("button", { name: "Ctrl+Alt+Del" }).click();
  await page.getByRole("tab", { name: "Serial" }).click();
  await guest.waitForSerial(READY_MARKER, { since: before, timeoutMs: 150_000 });
  // The serial console, open while the guest rebooted, showed the same marker.
  const terminal = page.getByTestId("serial-terminal");
  await expect(terminal).toContainText("KVMM-GUEST-READY", { timeout: 30_000 });
  await testInfo.attach(`console-serial-${testInfo.project.name}`, { body: await page.screenshot({ fullPage: true }), contentType: "image/png" });

  const second = await page.context().newPage();
  await second.goto(`/vms/local/${guest.uuid}/console`);
  await second.getByRole("tab", { name: "Serial" }).click();
  await expect(second.getByText("Another session holds the serial console.")).toBeVisible({ timeout: 30_000 });
  await second.getByRole("button", { name: "Take over (force)" }).click();
  await expect(second.getByRole("status").filter({ hasText: "Connected to ttyS0" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("The serial console was taken over by another session.")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Take over (force)" })).toBeVisible();
  await second.close();
});

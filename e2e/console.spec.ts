import { expect, test } from "@playwright/test";
import { createTestDomain, READY_MARKER, virsh, type TestDomain } from "./fixtures/test-host";
import { defineIdleDomain, type IdleDomain } from "./fixtures/idle-domain";
import { ADMIN, expectNoHorizontalScroll, signIn, signOut, unique, vmTab } from "./support/session";
import { distinctPixels } from "./support/vnc";

let guest: TestDomain | undefined;
let idle: IdleDomain | undefined;

test.afterEach(async () => {
  await Promise.all([guest?.destroy(), idle?.remove()]);
  guest = undefined;
  idle = undefined;
});

// @desktop: a booted guest's reboot and serial console behave alike at any width; the phone's console is the next test's.
test(
  "an operator sees the guest's screen, sends Ctrl+Alt+Del, reads the boot on the serial console, and a second tab takes it over",
  { tag: "@desktop" },
  async ({ page }, testInfo) => {
    test.setTimeout(300_000);
    guest = await createTestDomain({ label: `e2e-console-${testInfo.project.name}`, display: true });
    await guest.waitForReady(120_000);

    const operator = unique(testInfo, "console-op");
    const password = "an-operator-password-1";
    await signIn(page, ADMIN.username, ADMIN.password);
    const created = await page.request.post("/api/trpc/users.create", { data: { username: operator, role: "operator", password } });
    expect(created.status(), await created.text()).toBe(200);
    await signOut(page);
    await signIn(page, operator, password, `/vms/local/${guest.uuid}/console`);
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
    await second.emulateMedia({ colorScheme: "dark" });
    await second.goto(`/vms/local/${guest.uuid}/console`);
    await second.getByRole("tab", { name: "Serial" }).click();
    await expect(second.getByText("Another session holds the serial console.")).toBeVisible({ timeout: 30_000 });
    await second.getByRole("button", { name: "Take over (force)" }).click();
    await expect(second.getByRole("status").filter({ hasText: "Connected to ttyS0" })).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText("The serial console was taken over by another session.")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole("button", { name: "Take over (force)" })).toBeVisible();
    await testInfo.attach(`console-serial-dark-${testInfo.project.name}`, { body: await second.screenshot({ fullPage: true }), contentType: "image/png" });
    await second.close();

    // The overview's thumbnail is a real picture of the same screen, taken by libvirt.
    await vmTab(page, "Overview");
    const thumbnail = page.getByRole("region", { name: "Screen" }).getByRole("img", { name: `Screen of ${guest.name}` });
    await expect(thumbnail).toBeVisible({ timeout: 30_000 });
    expect(await thumbnail.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(100);
  },
);

test("a VM that is off offers Start; running without a serial console it says so, without graphics it offers a VNC display, whose screen the tab shows from the next start, full screen too, with an on-screen keyboard on a touch device only", async ({
  page,
}, testInfo) => {
  idle = await defineIdleDomain(`kvmm-test-e2e-console-off-${testInfo.project.name}`);
  await signIn(page, ADMIN.username, ADMIN.password, `/vms/local/${idle.uuid}/console`);
  await expect(page.getByText(`VM ${idle.name} is off: its console opens when it runs.`)).toBeVisible();
  await expect(page.getByRole("button", { name: "Start" })).toBeVisible();

  // Started into its firmware (no kernel to boot): running, with no graphics device.
  await virsh(["start", idle.name]);
  // Without a graphics device the tab opens on the serial console, which this VM lacks too: said in words.
  await expect(page.getByText(`VM "${idle.name}" on host "local" has no serial console (a serial port on a pty)`)).toBeVisible({ timeout: 30_000 });
  await page.getByRole("tab", { name: "Graphical" }).click();
  await expect(page.getByText(`VM ${idle.name} has no graphics device`)).toBeVisible();
  await page.getByRole("button", { name: "Add a VNC display" }).click();
  await expect(page.getByRole("status").filter({ hasText: `VNC display added to ${idle.name}: it appears from the VM's next start.` })).toBeVisible();
  await expect(page.getByText("shut the VM down and start it again to see its screen here")).toBeVisible();
  const definition = await virsh(["dumpxml", "--inactive", idle.name]);
  expect(definition).toMatch(/<graphics type='vnc' port='-1' autoport='yes' listen='127\.0\.0\.1'>/);
  await expectNoHorizontalScroll(page);

  // Its next start (into SeaBIOS: a screen, but nothing to boot) brings the display, and the open tab connects to it.
  await virsh(["destroy", idle.name]);
  await virsh(["start", idle.name]);
  await expect(page.getByRole("status").filter({ hasText: "Connected. Click the screen" })).toBeVisible({ timeout: 30_000 });
  // Full screen shows the console's frame alone (the browser's Fullscreen API, from a real click).
  await page.getByRole("button", { name: "Full screen" }).click();
  await expect.poll(() => page.evaluate(() => document.fullscreenElement?.contains(document.querySelector("canvas")) ?? false)).toBe(true);
  await page.evaluate(() => document.exitFullscreen());
  await expect.poll(() => page.evaluate(() => document.fullscreenElement === null)).toBe(true);
  // A touch device gets a button that opens its on-screen keyboard on an input feeding the guest; a mouse one does not.
  const keyboardButton = page.getByRole("button", { name: "Keyboard", exact: true });
  if (testInfo.project.use.hasTouch) {
    await keyboardButton.click();
    await expect(page.getByLabel("On-screen keyboard input for the guest")).toBeFocused();
  } else {
    await expect(keyboardButton).toHaveCount(0);
  }
  await expectNoHorizontalScroll(page);
});
